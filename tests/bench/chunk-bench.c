/* gst-rtmpe: cost of the chunk stream per payload byte, writer and reader.
 * Not a test: run it by hand (build/tests/bench/chunk-bench).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A media-like mix (video messages of 2 to 60 KB, audio of 200 bytes, one
 * of each per 40 ms) at chunk size 4096:
 *  - writer: messages into an RtmpOutQueue, drained by peek (up to 1024
 *    vectors, as writev takes) and consume, without copying the bytes
 *    anywhere: what the sink pays on top of the socket's writev;
 *  - reader: the resulting bytes pushed in 64 KiB GstBuffers (one memory
 *    each, as a recv loop would give), messages popped and freed.
 * Prints user-space instructions per payload byte (perf_event_open, when
 * the kernel allows it) and MB/s of user CPU time.
 * Usage: chunk-bench [MEGABYTES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include "rtmpchunk.h"

static int
counter_open (void)
{
  struct perf_event_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof (attr);
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return syscall (SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static gdouble
user_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

typedef struct
{
  int fd;
  gdouble t0;
} Meter;

static void
meter_start (Meter *m, int fd)
{
  m->fd = fd;
  if (fd >= 0) {
    ioctl (fd, PERF_EVENT_IOC_RESET, 0);
    ioctl (fd, PERF_EVENT_IOC_ENABLE, 0);
  }
  m->t0 = user_seconds ();
}

static void
meter_stop (Meter *m, const gchar *what, guint64 payload_bytes)
{
  gdouble t = user_seconds () - m->t0;
  long long insns = -1;

  if (m->fd >= 0) {
    ioctl (m->fd, PERF_EVENT_IOC_DISABLE, 0);
    if (read (m->fd, &insns, sizeof (insns)) != sizeof (insns))
      insns = -1;
  }
  if (insns >= 0)
    printf ("%s: %.3f instructions per payload byte, ", what,
        (gdouble) insns / payload_bytes);
  else
    printf ("%s: (no instruction counter) ", what);
  printf ("%.0f MB/s user-CPU\n", t > 0 ? payload_bytes / t / 1e6 : 0.0);
}

int
main (int argc, char **argv)
{
  gsize megabytes = argc > 1 ? strtoul (argv[1], NULL, 10) : 200;
  guint64 target = (guint64) megabytes * 1000000, payload = 0;
  GPtrArray *msgs = g_ptr_array_new ();
  GRand *rand = g_rand_new_with_seed (1);
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  RtmpOutQueue *q = rtmp_out_queue_new ();
  GByteArray *wire = g_byte_array_new ();
  GstBuffer *pool[16];
  RtmpMessage *scs;
  guint8 body[4] = { 0, 0, 0x10, 0 };
  int fd = counter_open ();
  Meter m;
  guint n_msgs = 0;

  gst_init (&argc, &argv);

  /* a pool of payloads, reused: the bench measures the chunk stream, not
   * the making of payloads */
  for (guint i = 0; i < G_N_ELEMENTS (pool); i++) {
    gsize len = i % 2 ? 200 : g_rand_int_range (rand, 2000, 60000);
    GstBuffer *b = gst_buffer_new_allocate (NULL, len, NULL);

    gst_buffer_memset (b, 0, (guint8) i, len);
    pool[i] = b;
  }
  scs = rtmp_message_new (1, 0, 0, gst_buffer_new_memdup (body, 4));
  g_ptr_array_add (msgs, scs);
  for (guint32 ts = 0; payload < target; ts += 20) {
    GstBuffer *b = pool[n_msgs % G_N_ELEMENTS (pool)];
    RtmpMessage *msg = rtmp_message_new (
        n_msgs % 2 ? RTMP_MESSAGE_TYPE_AUDIO : RTMP_MESSAGE_TYPE_VIDEO, ts, 1,
        gst_buffer_ref (b));

    payload += gst_buffer_get_size (b);
    g_ptr_array_add (msgs, msg);
    n_msgs++;
  }
  printf ("%u messages, %" G_GUINT64_FORMAT " payload bytes, chunk size "
          "4096\n",
      n_msgs, payload);

  /* writer */
  meter_start (&m, fd);
  for (guint i = 0; i < msgs->len; i++) {
    if (!rtmp_chunk_writer_write (w, msgs->pdata[i], q, NULL))
      g_error ("write");
    if (rtmp_out_queue_size (q) >= 256 * 1024 || i + 1 == msgs->len) {
      while (rtmp_out_queue_size (q) > 0) {
        GOutputVector v[1024];
        guint n = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
        gsize sum = 0;

        for (guint k = 0; k < n; k++)
          sum += v[k].size;
        rtmp_out_queue_consume (q, sum);
      }
    }
  }
  meter_stop (&m, "writer", payload);

  /* the bytes for the reader (not measured) */
  {
    RtmpChunkWriter *w2 = rtmp_chunk_writer_new ();

    for (guint i = 0; i < msgs->len; i++)
      rtmp_chunk_writer_write_bytes (w2, msgs->pdata[i], wire, NULL);
    rtmp_chunk_writer_free (w2);
  }
  printf ("wire: %u bytes, %.3f%% chunk overhead\n", wire->len,
      100.0 * (wire->len - payload) / payload);

  /* reader: 64 KiB blocks, each its own memory (as a recv buffer);
   * wrapping them is not measured */
  {
    GPtrArray *blocks = g_ptr_array_new ();

    for (gsize pos = 0; pos < wire->len; pos += 65536) {
      gsize n = MIN ((gsize) 65536, wire->len - pos);

      g_ptr_array_add (blocks,
          gst_buffer_new_wrapped_full (
              GST_MEMORY_FLAG_READONLY, wire->data + pos, n, 0, n, NULL, NULL));
    }
    meter_start (&m, fd);
    for (guint i = 0; i < blocks->len; i++) {
      RtmpMessage *msg;

      if (!rtmp_chunk_reader_push_buffer (r, blocks->pdata[i], NULL))
        g_error ("read");
      gst_buffer_unref (blocks->pdata[i]);
      while ((msg = rtmp_chunk_reader_pop (r)))
        rtmp_message_free (msg);
    }
    g_ptr_array_free (blocks, TRUE);
  }
  meter_stop (&m, "reader", payload);

  for (guint i = 0; i < msgs->len; i++)
    rtmp_message_free (msgs->pdata[i]);
  g_ptr_array_free (msgs, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (pool); i++)
    gst_buffer_unref (pool[i]);
  g_byte_array_unref (wire);
  rtmp_out_queue_free (q);
  rtmp_chunk_reader_free (r);
  rtmp_chunk_writer_free (w);
  g_rand_free (rand);
  if (fd >= 0)
    close (fd);
  return 0;
}
