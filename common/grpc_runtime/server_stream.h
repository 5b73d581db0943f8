#pragma once

// The server side of one streaming call, shared by every streaming service (the
// orchestrator's and the tier worker's StreamComplete, the inference service's Generate).
//
// A producer thread Sends chunks as they come; gRPC allows one write in flight, so chunks
// sent meanwhile are merged into the next write (text joined, repeated fields appended):
// a slow reader gets fewer, larger chunks, and what waits is bounded by the answer itself,
// never a queue of writes. The producer never blocks on the network. Close ends the call:
// the last chunk, if any, then the status. The object deletes itself once gRPC (OnDone)
// and the producer (Close) are both through with it.
//
// Chunk: a protobuf message with a string field `text` (the delta).

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/concurrency/cancellation.h"

namespace cascade {

template <typename Chunk>
class ServerStream : public grpc::ServerWriteReactor<Chunk> {
 public:
  ServerStream() = default;
  ServerStream(const ServerStream&) = delete;
  ServerStream& operator=(const ServerStream&) = delete;

  // Fires when the client cancels or its connection breaks: the producer stops.
  CancellationToken& cancellation() { return cancellation_; }

  // Queues `chunk` for the client. False once the client is gone (the chunk is dropped).
  bool Send(Chunk chunk) {
    absl::MutexLock lock(&mu_);
    if (client_gone_ || closed_) return false;
    AddPendingLocked(std::move(chunk));
    WriteNextLocked();
    return true;
  }

  // Ends the call: `last` (when set and the client is still there) after what is pending,
  // then `status`. The producer's last act: the object may be gone when it returns.
  void Close(std::optional<Chunk> last, const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      if (last && status.ok() && !client_gone_) AddPendingLocked(*std::move(last));
      closed_ = true;
      status_ = status;
      WriteNextLocked();
      FinishIfDrainedLocked();
    }
    Release();
  }

  void OnWriteDone(bool ok) override {
    bool gone = false;
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
      if (!ok) gone = GoneLocked();
      WriteNextLocked();
      FinishIfDrainedLocked();
    }
    // A reaction: gRPC runs OnDone only after it returns, so the object is still here.
    if (gone) cancellation_.Cancel();
  }

  void OnCancel() override {
    bool gone = false;
    {
      absl::MutexLock lock(&mu_);
      gone = GoneLocked();
    }
    if (gone) cancellation_.Cancel();
  }

  void OnDone() override { Release(); }

 private:
  void AddPendingLocked(Chunk chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!has_pending_) {
      pending_ = std::move(chunk);
      has_pending_ = true;
      return;
    }
    std::string text = pending_.text() + chunk.text();
    pending_.MergeFrom(chunk);  // Repeated fields append; the text is joined by hand.
    pending_.set_text(std::move(text));
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (write_in_flight_ || !has_pending_ || client_gone_) return;
    writing_.Clear();
    writing_.Swap(&pending_);
    has_pending_ = false;
    write_in_flight_ = true;
    this->StartWrite(&writing_);
  }

  void FinishIfDrainedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!closed_ || finished_ || write_in_flight_) return;
    if (has_pending_ && !client_gone_) return;
    finished_ = true;
    this->Finish(status_);
  }

  // The client went away: nothing more is written. True the first time, when the caller
  // (outside the lock: the token's callbacks may cancel downstream I/O) fires the token.
  bool GoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (client_gone_) return false;
    client_gone_ = true;
    has_pending_ = false;
    return true;
  }

  void Release() {
    if (references_.fetch_sub(1) == 1) delete this;
  }

  CancellationToken cancellation_;
  absl::Mutex mu_;
  Chunk pending_ ABSL_GUARDED_BY(mu_);  // Merged chunks not written yet.
  bool has_pending_ ABSL_GUARDED_BY(mu_) = false;
  Chunk writing_;  // The chunk in flight (gRPC reads it until OnWriteDone).
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool client_gone_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> references_{2};  // gRPC's (OnDone) and the producer's (Close).
};

}  // namespace cascade
