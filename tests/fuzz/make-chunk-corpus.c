/* gst-rtmpe: writes the seed corpus of the chunk stream fuzz target
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each file is one byte (the seed fuzz-chunk uses to cut the input) and a
 * chunk stream, made with our writer, spliced by hand where the writer
 * never goes (an Abort mid-message, interleaved chunks, continuation chunks
 * without the extended timestamp). Given the traffic directory, it also
 * writes the first 8 KiB after the handshake of two recorded sessions
 * (tests/data/traffic): rtmp2sink publishing with extended timestamps at
 * chunk size 128, and nginx-rtmp starting a late player with them.
 * Usage: make-chunk-corpus DIR [TRAFFIC_DIR]   (DIR = tests/fuzz/corpus)
 */
#include <string.h>
#include <glib/gstdio.h>

#include "rtmpchunk.h"

static void
write_file (const gchar *dir, const gchar *name, guint8 seed, GByteArray *data)
{
  g_autofree gchar *d = g_build_filename (dir, "chunk", NULL);
  g_autofree gchar *path = g_build_filename (d, name, NULL);
  g_autoptr (GError) error = NULL;
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, &seed, 1);
  g_byte_array_append (out, data->data, data->len);
  g_mkdir_with_parents (d, 0755);
  if (!g_file_set_contents (path, (const gchar *) out->data, out->len, &error))
    g_error ("%s", error->message);
  g_byte_array_unref (out);
}

static RtmpMessage *
msg (guint8 type, guint32 ts, guint32 sid, guint32 csid, gsize len)
{
  guint8 *b = g_malloc (MAX (len, 1));
  RtmpMessage *m;

  for (gsize i = 0; i < len; i++)
    b[i] = (guint8) (i * 13 + type);
  m = rtmp_message_new (type, ts, sid, gst_buffer_new_wrapped (b, len));
  m->chunk_stream_id = csid;
  return m;
}

static RtmpMessage *
msg_u32 (guint8 type, guint32 v)
{
  RtmpMessage *m = msg (type, 0, 0, 0, 4);

  gst_buffer_fill (m->payload, 0, (guint8[]){ v >> 24, v >> 16, v >> 8, v }, 4);
  return m;
}

static void
put (RtmpChunkWriter *w, GByteArray *out, RtmpMessage *m)
{
  g_autoptr (GError) error = NULL;

  if (!rtmp_chunk_writer_write_bytes (w, m, out, &error))
    g_error ("%s", error->message);
  rtmp_message_free (m);
}

/* a publishing session: control, commands, audio and video */
static void
session (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *b = g_byte_array_new ();

  put (w, b, msg (20, 0, 0, 0, 90)); /* connect */
  put (w, b, msg_u32 (1, 4096));
  put (w, b, msg_u32 (5, 2500000));
  put (w, b, msg (6, 0, 0, 0, 5));
  put (w, b, msg (20, 0, 0, 0, 40)); /* createStream */
  put (w, b, msg (20, 0, 1, 0, 50)); /* publish */
  put (w, b, msg (18, 0, 1, 0, 300)); /* @setDataFrame */
  put (w, b, msg (9, 0, 1, 0, 40)); /* sequence headers */
  put (w, b, msg (8, 0, 1, 0, 4));
  for (guint i = 0; i < 12; i++) {
    put (w, b, msg (8, 23 * i, 1, 0, 10));
    put (w, b, msg (9, 40 * i, 1, 0, i % 5 ? 300 : 6000));
  }
  put (w, b, msg (4, 0, 0, 0, 6)); /* user control */
  write_file (dir, "session", 0x00, b);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

/* chunk size 128, ids in all three basic header forms, zero-length and
 * repeated messages (type 3 starting messages) */
static void
small_chunks (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *b = g_byte_array_new ();

  for (guint i = 0; i < 6; i++) {
    put (w, b, msg (9, 10 * i, 1, 70, 200));
    put (w, b, msg (8, 10 * i, 1, 1000, 129));
    put (w, b, msg (18, 5 * i, 1, 63, 0));
  }
  put (w, b, msg_u32 (1, 7));
  put (w, b, msg (9, 100, 1, 65599, 30));
  put (w, b, msg (9, 90, 2, 65599, 30)); /* back in time, other stream */
  write_file (dir, "small-chunks", 0x37, b);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

/* timestamps at and above 0xffffff, extended fields in continuations */
static void
extended (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *b = g_byte_array_new ();

  put (w, b, msg (9, 0xffffff, 1, 0, 300));
  put (w, b, msg (9, 0xffffff + 40, 1, 0, 300));
  put (w, b, msg (8, 0x7fffffff, 1, 0, 200));
  put (w, b, msg (8, 0x80000010, 1, 0, 200));
  put (w, b, msg (8, 5, 1, 0, 200)); /* wraps */
  write_file (dir, "extended", 0x81, b);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

/* a message cut after its first chunk, Abort, a new message on the same
 * chunk stream */
static void
abort_mid_message (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *b = g_byte_array_new ();
  GByteArray *tmp = g_byte_array_new ();

  put (w, tmp, msg (9, 1000, 1, 0, 300));
  g_byte_array_append (b, tmp->data, 12 + 128);
  put (w, b, msg_u32 (2, 6));
  put (w, b, msg (9, 1040, 1, 0, 300));
  write_file (dir, "abort", 0x12, b);
  g_byte_array_unref (tmp);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

/* two 700-byte messages on chunk streams 4 and 6, chunks alternating */
static void
interleaved (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *a = g_byte_array_new (), *v = g_byte_array_new ();
  GByteArray *b = g_byte_array_new ();
  gsize oa = 0, ov = 0;

  put (w, a, msg (8, 10, 1, 4, 700));
  put (w, v, msg (9, 20, 1, 6, 700));
  /* first chunks: 12 + 128; then 1 + 128 each */
  while (oa < a->len || ov < v->len) {
    gsize na = MIN ((oa ? 129u : 140u), a->len - oa);
    gsize nv = MIN ((ov ? 129u : 140u), v->len - ov);

    g_byte_array_append (b, a->data + oa, na);
    oa += na;
    g_byte_array_append (b, v->data + ov, nv);
    ov += nv;
  }
  write_file (dir, "interleaved", 0x5a, b);
  g_byte_array_unref (a);
  g_byte_array_unref (v);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

/* an extended timestamp left out of the continuation chunks, as some
 * peers do */
static void
ext_omitted (const gchar *dir)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *tmp = g_byte_array_new ();
  GByteArray *b = g_byte_array_new ();
  gsize off;

  put (w, tmp, msg (9, 0x01000000, 1, 0, 300));
  /* 16-byte first header and 128 bytes; then "c6 + 4 bytes" twice */
  g_byte_array_append (b, tmp->data, 16 + 128);
  for (off = 16 + 128; off < tmp->len; off += 5 + 128) {
    gsize n = MIN (128u, tmp->len - off - 5);

    g_byte_array_append (b, tmp->data + off, 1);
    g_byte_array_append (b, tmp->data + off + 5, n);
  }
  put (w, b, msg (8, 3, 1, 0, 2));
  write_file (dir, "ext-omitted", 0x03, b);
  g_byte_array_unref (tmp);
  g_byte_array_unref (b);
  rtmp_chunk_writer_free (w);
}

static void
recorded (
    const gchar *dir, const gchar *traffic, const gchar *name, guint8 seed)
{
  g_autofree gchar *path = g_build_filename (traffic, name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *data;
  gsize len;
  GByteArray *b = g_byte_array_new ();

  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s", error->message);
  if (len > 3073)
    g_byte_array_append (
        b, (guint8 *) data + 3073, MIN (len - 3073, (gsize) 8192));
  write_file (dir, name, seed, b);
  g_byte_array_unref (b);
  g_free (data);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 2)
    g_error ("usage: make-chunk-corpus DIR [TRAFFIC_DIR]");
  session (argv[1]);
  small_chunks (argv[1]);
  extended (argv[1]);
  abort_mid_message (argv[1]);
  interleaved (argv[1]);
  ext_omitted (argv[1]);
  if (argc > 2) {
    recorded (argv[1], argv[2], "nginx-rtmp2sink-publish-extts.c2s.bin", 0x05);
    recorded (argv[1], argv[2], "nginx-rtmp2src-play-extts-late.s2c.bin", 0x44);
  }
  return 0;
}
