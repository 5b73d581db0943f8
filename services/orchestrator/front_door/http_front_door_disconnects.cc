#include "services/orchestrator/front_door/http_front_door_disconnects.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <vector>

namespace cascade::orchestrator {
namespace {

// Address text and port of a sockaddr, as httplib writes them in a Request.
bool Endpoint(const sockaddr_storage& address, std::string* host, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    *port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    *port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  *host = text;
  return true;
}

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

}  // namespace

int FindConnectedSocket(const std::string& local_addr, int local_port,
                        const std::string& remote_addr, int remote_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
      continue;
    }
    std::string host;
    int port = -1;
    if (!Endpoint(peer, &host, &port) || port != remote_port || host != remote_addr) continue;
    sockaddr_storage local{};
    length = sizeof(local);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
      continue;
    }
    if (!Endpoint(local, &host, &port) || port != local_port || host != local_addr) continue;
    found = static_cast<int>(fd);
    break;
  }
  closedir(dir);
  return found;
}

DisconnectWatcher::DisconnectWatcher() : thread_([this] { Run(); }) {}

DisconnectWatcher::~DisconnectWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

int64_t DisconnectWatcher::Watch(int fd, CancellationToken* token) {
  absl::MutexLock lock(&mu_);
  int64_t id = next_id_++;
  entries_[id] = Entry{fd, token};
  return id;
}

void DisconnectWatcher::Unwatch(int64_t id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void DisconnectWatcher::Run() {
  std::vector<pollfd> fds;
  std::vector<int64_t> ids;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !entries_.empty(); };
      mu_.Await(absl::Condition(&wake));
      if (stopping_) return;
      fds.clear();
      ids.clear();
      for (const auto& [id, entry] : entries_) {
        fds.push_back(pollfd{entry.fd, POLLRDHUP, 0});
        ids.push_back(id);
      }
    }
    // Outside the lock: a request finishing meanwhile only unregisters; its socket stays
    // open until httplib's worker is done with it, after Unwatch.
    int ready = poll(fds.data(), fds.size(), absl::ToInt64Milliseconds(kPollInterval));
    if (ready <= 0) continue;
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) continue;
      auto entry = entries_.find(ids[i]);
      if (entry == entries_.end()) continue;  // Finished meanwhile.
      // Under the lock, so Unwatch returning means the token is no longer touched.
      entry->second.token->Cancel();
      entries_.erase(entry);
    }
  }
}

}  // namespace cascade::orchestrator
