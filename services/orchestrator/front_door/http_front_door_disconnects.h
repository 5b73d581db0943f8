#pragma once

// Notices that an HTTP client went away while its request is still being served, and
// cancels the request's CancellationToken so the cascade cancels every downstream call.
// cpp-httplib (0.11) tells a handler nothing about its connection, so the socket is found
// by its addresses (the request's local and remote address and port) and watched with
// poll(POLLRDHUP) on one shared thread.

#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/concurrency/cancellation.h"

namespace cascade::orchestrator {

// The file descriptor of this process's TCP socket with these endpoints; -1 if none.
int FindConnectedSocket(const std::string& local_addr, int local_port,
                        const std::string& remote_addr, int remote_port);

class DisconnectWatcher {
 public:
  DisconnectWatcher();
  ~DisconnectWatcher();
  DisconnectWatcher(const DisconnectWatcher&) = delete;
  DisconnectWatcher& operator=(const DisconnectWatcher&) = delete;

  // Cancels `token` when the peer of `fd` closes. Returns an id for Unwatch.
  int64_t Watch(int fd, CancellationToken* token);
  // Once this returns, the token is not touched again.
  void Unwatch(int64_t id);

 private:
  struct Entry {
    int fd;
    CancellationToken* token;
  };
  void Run();

  absl::Mutex mu_;
  std::map<int64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cascade::orchestrator
