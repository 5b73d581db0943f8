// The keys and values of every position seen so far, per layer. Speculative decoding writes
// draft tokens into it and then rolls back the rejected ones with Truncate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cascade::engine {

class KvCache {
 public:
  // What a cache of these dimensions allocates: keys and values, 4-byte floats.
  static int64_t Bytes(int layers, int capacity, int kv_dim) {
    return int64_t{2} * layers * capacity * kv_dim * static_cast<int64_t>(sizeof(float));
  }

  KvCache(int layers, int capacity, int kv_dim)
      : capacity_(capacity),
        kv_dim_(kv_dim),
        layer_stride_(static_cast<size_t>(capacity) * kv_dim),
        keys_(layer_stride_ * layers),
        values_(layer_stride_ * layers) {}

  int capacity() const { return capacity_; }
  int size() const { return size_; }  // positions filled
  int kv_dim() const { return kv_dim_; }

  float* key(int layer, int position) { return keys_.data() + Offset(layer, position); }
  float* value(int layer, int position) { return values_.data() + Offset(layer, position); }

  // Marks positions [size, size + n) as filled (their rows have been written).
  void Grow(int n) { size_ += n; }
  // Forgets every position from `position` on; later writes overwrite them.
  void Truncate(int position) {
    if (position < size_) size_ = position < 0 ? 0 : position;
  }

 private:
  size_t Offset(int layer, int position) const {
    return layer * layer_stride_ + static_cast<size_t>(position) * kv_dim_;
  }

  int capacity_;
  int kv_dim_;
  size_t layer_stride_;
  int size_ = 0;
  std::vector<float> keys_;
  std::vector<float> values_;
};

}  // namespace cascade::engine
