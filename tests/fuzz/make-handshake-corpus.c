/* gst-rtmpe: writes the seed corpora of the handshake fuzz targets
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs our client against our server with the fuzz targets' fake adapter
 * for every kind of handshake and writes what each side sent:
 * DIR/handshake-server/<name> (C0 C1 C2 and 8 bytes of chunk stream, what
 * the server target is fed) and DIR/handshake-client/<name> (S0 S1 S2).
 * Usage: make-handshake-corpus DIR   (DIR = tests/fuzz/corpus)
 */
#include <stdio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include "fuzz-handshake-common.h"

static void
write_file (
    const gchar *dir, const gchar *sub, const gchar *name, GByteArray *data)
{
  g_autofree gchar *d = g_build_filename (dir, sub, NULL);
  g_autofree gchar *path = g_build_filename (d, name, NULL);
  g_autoptr (GError) error = NULL;

  g_mkdir_with_parents (d, 0755);
  if (!g_file_set_contents (
          path, (const gchar *) data->data, data->len, &error))
    g_error ("%s", error->message);
}

static void
pump (RtmpHandshake *from, RtmpHandshake *to, GByteArray *sent,
    gsize *delivered, GByteArray *back)
{
  gsize used;
  GError *error = NULL;
  RtmpHandshakeResult r;

  if (*delivered >= sent->len || rtmp_handshake_is_done (to))
    return;
  r = rtmp_handshake_push (
      to, sent->data + *delivered, sent->len - *delivered, &used, back, &error);
  if (r == RTMP_HANDSHAKE_ERROR)
    g_error ("%s", error->message);
  *delivered += used;
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const gchar *name;
    guint8 type, answer;
    gboolean digest;
    RtmpHandshakeLayout client_layout;
  } cases[] = {
    { "plain-simple", 3, 0, FALSE, 0 },
    { "plain-digest", 3, 0, TRUE, 0 },
    { "plain-digest-key-first", 3, 0, TRUE, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST },
    { "rtmpe-06", 6, 0, TRUE, 0 },
    { "rtmpe-06-digest-first", 6, 0, TRUE, RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST },
    { "rtmpe-06-answered-08", 6, 8, TRUE, 0 },
    { "rtmpe-08", 8, 0, TRUE, 0 },
    { "rtmpe-09", 9, 0, TRUE, 0 },
  };

  if (argc != 2) {
    g_printerr ("usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  gst_init (NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
        cases[i].type, cases[i].digest, 1, &fake_crypto);
    g_autoptr (RtmpHandshake) server =
        rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_ALL, 2, &fake_crypto);
    g_autoptr (GByteArray) c = g_byte_array_new ();
    g_autoptr (GByteArray) s = g_byte_array_new ();
    gsize c_done = 0, s_done = 0;

    if (cases[i].client_layout)
      rtmp_handshake_set_layout (client, cases[i].client_layout);
    if (cases[i].answer)
      rtmp_handshake_set_rtmpe_answer (server, cases[i].answer);
    if (!rtmp_handshake_get_initial (client, c, NULL))
      g_error ("get_initial failed");
    while (
        !rtmp_handshake_is_done (client) || !rtmp_handshake_is_done (server)) {
      gsize before_c = c_done, before_s = s_done;

      pump (client, server, c, &c_done, s);
      pump (server, client, s, &s_done, c);
      if (c_done == before_c && s_done == before_s)
        g_error ("%s: stuck", cases[i].name);
    }
    g_byte_array_append (c, (const guint8 *) "\x03\0\0\0\0\0\x20\x14", 8);
    write_file (argv[1], "handshake-server", cases[i].name, c);
    write_file (argv[1], "handshake-client", cases[i].name, s);
    printf ("%s: %u bytes to the server, %u to the client\n", cases[i].name,
        c->len, s->len);
  }
  return 0;
}
