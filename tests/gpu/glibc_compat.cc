// Linked into the static GPU binaries only (cascade_gpu_binary). Debian 12's libstdc++, linked
// statically, calls glibc 2.36's arc4random (std::random_device); CUDA images are often Ubuntu
// 22.04 with glibc 2.35, where a binary needing GLIBC_2.36 does not even start. This definition
// satisfies the reference inside the binary, from getrandom (glibc 2.25), so the binaries need
// only glibc 2.35 (libgcc's unwinder needs _dl_find_object).
#include <sys/random.h>

#include <cstdint>

extern "C" uint32_t arc4random(void) noexcept {
  uint32_t value = 0;
  while (getrandom(&value, sizeof(value), 0) != static_cast<ssize_t>(sizeof(value))) {
  }
  return value;
}
