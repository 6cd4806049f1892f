/* gst-rtmpe: RC4 throughput of our in-place path (RtmpeRc4 over 64 KiB
 * buffers), the cost RTMPE adds to every byte. Not a test: run
 * tests/bench/rc4-bench.sh, which prints this next to `openssl speed`.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: rc4-bench [SECONDS] [BUFFER_BYTES]
 * Prints one line: "rc4-bench: <MB/s> MB/s user-CPU, <MB/s> MB/s wall
 * (...)", MB = 10^6 bytes (as openssl speed's 1000s of bytes). The first
 * figure divides by the process's user CPU time, as `openssl speed` does by
 * default, so that other load on the machine does not skew the comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <glib.h>

#include "rtmpecrypto.h"

static gdouble
user_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

int
main (int argc, char **argv)
{
  gdouble seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 3.0;
  gsize size = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 65536;
  static const guint8 key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16 };
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpeRc4) rc4 = NULL;
  g_autofree guint8 *buf = NULL;
  guint64 bytes = 0;
  gint64 start, now, deadline;
  guint8 sink = 0;
  gdouble user_start, user;

  if (size == 0 || seconds <= 0) {
    g_printerr ("usage: rc4-bench [SECONDS] [BUFFER_BYTES]\n");
    return 2;
  }
  rc4 = rtmpe_rc4_new (key, sizeof (key), &error);
  if (!rc4) {
    g_printerr ("rc4-bench: %s\n", error->message);
    return 1;
  }
  buf = g_malloc0 (size);
  rtmpe_rc4_skip (rc4, 1536);

  /* warm up, then run whole buffers until the time is up */
  rtmpe_rc4_process (rc4, buf, buf, size);
  start = g_get_monotonic_time ();
  user_start = user_seconds ();
  deadline = start + (gint64) (seconds * G_USEC_PER_SEC);
  do {
    for (guint i = 0; i < 16; i++)
      rtmpe_rc4_process (rc4, buf, buf, size);
    bytes += 16 * (guint64) size;
    now = g_get_monotonic_time ();
  } while (now < deadline);
  user = user_seconds () - user_start;
  for (gsize i = 0; i < size; i += 4096)
    sink ^= buf[i];

  printf ("rc4-bench: %.1f MB/s user-CPU, %.1f MB/s wall (%" G_GUINT64_FORMAT
          " bytes, %.2f s user, %.2f s wall, %" G_GSIZE_FORMAT
          "-byte buffers) [%02x]\n",
      bytes / user / 1e6,
      bytes / ((now - start) / (gdouble) G_USEC_PER_SEC) / 1e6, bytes, user,
      (now - start) / (gdouble) G_USEC_PER_SEC, size, sink);
  return 0;
}
