/* gst-rtmpe: counts the bytes a process copies with memcpy/memmove/mempcpy
 * (and their _FORTIFY_SOURCE _chk forms), for tests/bench/bench.py's
 * "user-space copies per byte" figure. Not a test and not installed.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: LD_PRELOAD=build/tests/bench/libcopycount.so COPYCOUNT_OUT=FILE cmd
 * At exit, appends one line to FILE:
 *   "copycount: big_bytes=N big_calls=N all_bytes=N all_calls=N min=M"
 * where "big" counts only the copies of at least COPYCOUNT_MIN bytes
 * (default 64): payload copies, not the small struct and string copies.
 *
 * It sees only the calls that go through the PLT (GLib, GStreamer, the
 * plugins, our code); copies inside libc itself and memcpy calls that the
 * compiler inlined (small, constant sizes) are not counted. Copies done by
 * the kernel (read, send) are not user-space copies and are not counted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *(*copy_fn) (void *, const void *, size_t);

static copy_fn real_memcpy, real_memmove, real_mempcpy;
static uint64_t big_bytes, big_calls, all_bytes, all_calls;
static size_t min_size = 64;

/* used until dlsym has answered (dlsym itself may copy) */
static void *
slow_move (void *dst, const void *src, size_t n)
{
  unsigned char *d = dst;
  const unsigned char *s = src;

  if (d < s)
    for (size_t i = 0; i < n; i++)
      d[i] = s[i];
  else
    for (size_t i = n; i > 0; i--)
      d[i - 1] = s[i - 1];
  return dst;
}

static void
count (size_t n)
{
  __atomic_fetch_add (&all_bytes, n, __ATOMIC_RELAXED);
  __atomic_fetch_add (&all_calls, 1, __ATOMIC_RELAXED);
  if (n >= min_size) {
    __atomic_fetch_add (&big_bytes, n, __ATOMIC_RELAXED);
    __atomic_fetch_add (&big_calls, 1, __ATOMIC_RELAXED);
  }
}

__attribute__ ((constructor)) static void
copycount_init (void)
{
  const char *m = getenv ("COPYCOUNT_MIN");

  if (m && *m)
    min_size = strtoul (m, NULL, 10);
  real_memmove = (copy_fn) dlsym (RTLD_NEXT, "memmove");
  real_mempcpy = (copy_fn) dlsym (RTLD_NEXT, "mempcpy");
  real_memcpy = (copy_fn) dlsym (RTLD_NEXT, "memcpy");
}

__attribute__ ((destructor)) static void
copycount_fini (void)
{
  const char *path = getenv ("COPYCOUNT_OUT");
  char line[256];
  int len, fd;

  len = snprintf (line, sizeof (line),
      "copycount: pid=%ld big_bytes=%llu "
      "big_calls=%llu all_bytes=%llu all_calls=%llu min=%zu\n",
      (long) getpid (),
      (unsigned long long) __atomic_load_n (&big_bytes, __ATOMIC_RELAXED),
      (unsigned long long) __atomic_load_n (&big_calls, __ATOMIC_RELAXED),
      (unsigned long long) __atomic_load_n (&all_bytes, __ATOMIC_RELAXED),
      (unsigned long long) __atomic_load_n (&all_calls, __ATOMIC_RELAXED),
      min_size);
  if (len <= 0)
    return;
  /* one write() with O_APPEND: lines of several processes do not mix */
  fd = path ? open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : 2;
  if (fd >= 0) {
    ssize_t unused = write (fd, line, (size_t) len);
    (void) unused;
    if (fd != 2)
      close (fd);
  }
}

/* the interposed functions */

void *
memcpy (void *dst, const void *src, size_t n)
{
  count (n);
  return real_memcpy ? real_memcpy (dst, src, n) : slow_move (dst, src, n);
}

void *
memmove (void *dst, const void *src, size_t n)
{
  count (n);
  return real_memmove ? real_memmove (dst, src, n) : slow_move (dst, src, n);
}

void *
mempcpy (void *dst, const void *src, size_t n)
{
  count (n);
  if (real_mempcpy)
    return real_mempcpy (dst, src, n);
  return (unsigned char *) slow_move (dst, src, n) + n;
}

void *__memcpy_chk (void *dst, const void *src, size_t n, size_t dstlen);
void *__memmove_chk (void *dst, const void *src, size_t n, size_t dstlen);
void *__mempcpy_chk (void *dst, const void *src, size_t n, size_t dstlen);

void *
__memcpy_chk (void *dst, const void *src, size_t n, size_t dstlen)
{
  if (n > dstlen)
    abort ();
  return memcpy (dst, src, n);
}

void *
__memmove_chk (void *dst, const void *src, size_t n, size_t dstlen)
{
  if (n > dstlen)
    abort ();
  return memmove (dst, src, n);
}

void *
__mempcpy_chk (void *dst, const void *src, size_t n, size_t dstlen)
{
  if (n > dstlen)
    abort ();
  return mempcpy (dst, src, n);
}
