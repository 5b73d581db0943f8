#pragma once

// At most N calls at once; the one past N is refused at once (RESOURCE_EXHAUSTED) rather
// than queued: the caller escalates or retries elsewhere, which beats waiting. Used by the
// tier worker (per tier) and the orchestrator (per process).

#include <atomic>
#include <optional>

namespace cascade {

class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(int max_in_flight) : max_in_flight_(max_in_flight) {}

  // Holds one slot until destroyed.
  class Permit {
   public:
    explicit Permit(ConcurrencyLimiter* limiter) : limiter_(limiter) {}
    Permit(Permit&& other) noexcept : limiter_(other.limiter_) { other.limiter_ = nullptr; }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    Permit& operator=(Permit&&) = delete;
    ~Permit() {
      if (limiter_ != nullptr) limiter_->in_flight_.fetch_sub(1);
    }

   private:
    ConcurrencyLimiter* limiter_;
  };

  std::optional<Permit> TryAcquire() {
    if (in_flight_.fetch_add(1) >= max_in_flight_) {
      in_flight_.fetch_sub(1);
      return std::nullopt;
    }
    return Permit(this);
  }

  int in_flight() const { return in_flight_.load(); }
  int max_in_flight() const { return max_in_flight_; }

 private:
  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
};

}  // namespace cascade
