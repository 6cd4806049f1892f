/* gst-rtmpe: the non-blocking transport (TCP, RC4, TLS) over socket pairs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "rtmpetransport.h"

typedef struct
{
  RtmpeTransport *a;
  RtmpeTransport *b;
} Pair;

static void
pair_init (Pair *p)
{
  int fds[2];
  GSocket *sa, *sb;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  sa = g_socket_new_from_fd (fds[0], NULL);
  sb = g_socket_new_from_fd (fds[1], NULL);
  g_assert_nonnull (sa);
  g_assert_nonnull (sb);
  p->a = rtmpe_transport_new (sa);
  p->b = rtmpe_transport_new (sb);
  g_object_unref (sa);
  g_object_unref (sb);
}

static void
pair_clear (Pair *p)
{
  rtmpe_transport_free (p->a);
  rtmpe_transport_free (p->b);
}

/* Moves @len bytes of a pattern from @from to @to through vectors of
 * varying sizes, reading and writing alternately (both non-blocking) until
 * everything arrived; checks the bytes. */
static void
pump (RtmpeTransport *from, RtmpeTransport *to, gsize len)
{
  guint8 *src = g_malloc (len), *dst = g_malloc (len);
  gsize sent = 0, got = 0;
  guint round = 0;

  for (gsize i = 0; i < len; i++)
    src[i] = (i * 131) ^ (i >> 9);
  while (got < len) {
    GError *error = NULL;
    gssize n;

    if (sent < len) {
      GOutputVector v[3];
      gsize left = len - sent, a = MIN (left, 7 + round % 100);
      gsize b = MIN (left - a, 5000), c = left - a - b;

      v[0].buffer = src + sent;
      v[0].size = a;
      v[1].buffer = src + sent + a;
      v[1].size = b;
      v[2].buffer = src + sent + a + b;
      v[2].size = MIN (c, 70000);
      n = rtmpe_transport_writev (from, v, 3, &error);
      g_assert_no_error (error);
      sent += n;
    } else {
      g_assert_true (rtmpe_transport_flush (from, &error));
      g_assert_no_error (error);
    }
    n = rtmpe_transport_read (
        to, dst + got, MIN (len - got, 4096 + round), &error);
    if (n < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_clear_error (&error);
    } else {
      g_assert_cmpint (n, >, 0);
      got += n;
    }
    round++;
    g_assert_cmpuint (round, <, 1000000);
  }
  g_assert_cmpmem (src, len, dst, len);
  g_free (src);
  g_free (dst);
}

static void
test_plain (void)
{
  Pair p;

  pair_init (&p);
  pump (p.a, p.b, 3 * 1024 * 1024 + 17);
  pump (p.b, p.a, 1000);
  g_assert_cmpuint (rtmpe_transport_bytes_out (p.a), ==, 3 * 1024 * 1024 + 17);
  g_assert_cmpuint (rtmpe_transport_bytes_in (p.b), ==, 3 * 1024 * 1024 + 17);
  pair_clear (&p);
}

static void
test_rc4 (void)
{
  static const guint8 k1[16] = { 1 }, k2[16] = { 2 };
  Pair p;
  guint8 wire[64], expect[64];
  RtmpeRc4 *probe;
  gssize n;

  pair_init (&p);
  rtmpe_transport_set_rc4 (
      p.a, rtmpe_rc4_new (k1, 16, NULL), rtmpe_rc4_new (k2, 16, NULL));
  rtmpe_transport_set_rc4 (
      p.b, rtmpe_rc4_new (k2, 16, NULL), rtmpe_rc4_new (k1, 16, NULL));
  pump (p.a, p.b, 2 * 1024 * 1024 + 5);
  pump (p.b, p.a, 777);
  g_assert_true (rtmpe_transport_is_rc4 (p.a));

  /* what crosses the socket is the RC4 keystream XOR the plaintext: write
   * zeros through an encrypting end, read raw from a plain end */
  pair_clear (&p);
  pair_init (&p);
  rtmpe_transport_set_rc4 (
      p.a, rtmpe_rc4_new (k1, 16, NULL), rtmpe_rc4_new (k2, 16, NULL));
  memset (wire, 0, sizeof (wire));
  n = rtmpe_transport_writev (
      p.a, &(GOutputVector){ wire, sizeof (wire) }, 1, NULL);
  g_assert_cmpint (n, ==, sizeof (wire));
  n = rtmpe_transport_read (p.b, wire, sizeof (wire), NULL);
  g_assert_cmpint (n, ==, sizeof (wire));
  probe = rtmpe_rc4_new (k1, 16, NULL);
  memset (expect, 0, sizeof (expect));
  rtmpe_rc4_process (probe, expect, expect, sizeof (expect));
  g_assert_cmpmem (wire, sizeof (wire), expect, sizeof (expect));
  rtmpe_rc4_free (probe);
  pair_clear (&p);
}

static gchar *tls_dir;
static gchar *cert_file;
static gchar *key_file;
static gchar *other_cert_file;

static void
make_cert (
    const gchar *cn, const gchar *san, const gchar *crt, const gchar *key)
{
  g_autofree gchar *cmd = NULL;
  g_autofree gchar *err = NULL;
  gint status = 0;

  cmd = g_strdup_printf (
      "openssl req -x509 -newkey ec -pkeyopt "
      "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s -days 2 "
      "-subj /CN=%s -addext subjectAltName=%s",
      key, crt, cn, san);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, &err, &status, NULL));
  if (status != 0)
    g_error ("openssl failed: %s", err);
}

static void
tls_setup (void)
{
  g_autofree gchar *other_key = NULL;

  tls_dir = g_dir_make_tmp ("rtmpe-tls-XXXXXX", NULL);
  cert_file = g_build_filename (tls_dir, "cert.pem", NULL);
  key_file = g_build_filename (tls_dir, "key.pem", NULL);
  other_cert_file = g_build_filename (tls_dir, "other.pem", NULL);
  other_key = g_build_filename (tls_dir, "otherkey.pem", NULL);
  make_cert ("localhost", "DNS:localhost,IP:127.0.0.1", cert_file, key_file);
  make_cert ("other", "DNS:other.example", other_cert_file, other_key);
}

static void
tls_teardown (void)
{
  g_autofree gchar *cmd = g_strdup_printf ("rm -rf %s", tls_dir);

  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
}

/* drives both TLS handshakes; returns the client's error, if any */
static gboolean
tls_handshake (Pair *p, GError **client_error)
{
  gboolean cdone = FALSE, sdone = FALSE;

  for (int i = 0; i < 1000 && !(cdone && sdone); i++) {
    GError *e = NULL;

    if (!cdone) {
      cdone = rtmpe_transport_handshake (p->a, &e);
      if (!cdone && !g_error_matches (e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_propagate_error (client_error, e);
        return FALSE;
      }
      g_clear_error (&e);
    }
    if (!sdone) {
      sdone = rtmpe_transport_handshake (p->b, &e);
      if (!sdone && !g_error_matches (e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_clear_error (&e);
        /* the server fails when the client aborts: go on to see why */
        sdone = TRUE;
      }
      g_clear_error (&e);
    }
  }
  return cdone;
}

static void
start_tls (Pair *p, const gchar *host, const gchar *ca, gboolean verify,
    const gchar *server_cert)
{
  GError *error = NULL;
  SSL_CTX *ctx;

  ctx = rtmpe_tls_server_context_new (
      server_cert, server_cert == cert_file ? key_file : NULL, &error);
  if (!ctx) {
    /* other.pem has its key apart */
    g_autofree gchar *k = g_build_filename (tls_dir, "otherkey.pem", NULL);
    g_clear_error (&error);
    ctx = rtmpe_tls_server_context_new (server_cert, k, &error);
  }
  g_assert_no_error (error);
  g_assert_true (rtmpe_transport_start_tls_server (p->b, ctx, &error));
  SSL_CTX_free (ctx);
  g_assert_true (
      rtmpe_transport_start_tls_client (p->a, host, ca, verify, &error));
  g_assert_no_error (error);
}

/* Bytes staged in clear before RC4 is installed (the handshake's C2) go
 * out first and untouched; what is written after them is encrypted from
 * the start of the keystream. Without a filter, staged bytes keep their
 * place ahead of later writes too. */
static void
test_stage_clear (void)
{
  static const guint8 k1[16] = { 1 };
  static const guint8 clear[] = "C2 in clear";
  Pair p;
  guint8 zeros[32] = { 0 }, wire[sizeof (clear) + sizeof (zeros)];
  guint8 expect[sizeof (zeros)] = { 0 };
  RtmpeRc4 *probe;
  GError *error = NULL;
  gsize got = 0;
  gssize n;

  pair_init (&p);
  g_assert_cmpuint (
      rtmpe_transport_stage_clear (p.a,
          (GOutputVector[]){ { clear, 5 }, { clear + 5, sizeof (clear) - 5 } },
          2),
      ==, sizeof (clear));
  rtmpe_transport_set_rc4 (
      p.a, rtmpe_rc4_new (k1, 16, NULL), rtmpe_rc4_new (k1, 16, NULL));
  n = rtmpe_transport_writev (
      p.a, &(GOutputVector){ zeros, sizeof (zeros) }, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, sizeof (zeros));
  while (got < sizeof (wire)) {
    n = rtmpe_transport_read (p.b, wire + got, sizeof (wire) - got, &error);
    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    got += n;
  }
  g_assert_cmpmem (wire, sizeof (clear), clear, sizeof (clear));
  probe = rtmpe_rc4_new (k1, 16, NULL);
  rtmpe_rc4_process (probe, expect, expect, sizeof (expect));
  g_assert_cmpmem (
      wire + sizeof (clear), sizeof (zeros), expect, sizeof (expect));
  rtmpe_rc4_free (probe);
  pair_clear (&p);

  /* plain: the staged bytes stay ahead of a later writev */
  pair_init (&p);
  rtmpe_transport_stage_clear (
      p.a, &(GOutputVector){ clear, sizeof (clear) }, 1);
  n = rtmpe_transport_writev (
      p.a, &(GOutputVector){ zeros, sizeof (zeros) }, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, sizeof (zeros));
  g_assert_true (rtmpe_transport_flush (p.a, &error));
  got = 0;
  while (got < sizeof (wire)) {
    n = rtmpe_transport_read (p.b, wire + got, sizeof (wire) - got, &error);
    g_assert_no_error (error);
    got += n;
  }
  g_assert_cmpmem (wire, sizeof (clear), clear, sizeof (clear));
  g_assert_cmpmem (
      wire + sizeof (clear), sizeof (zeros), zeros, sizeof (zeros));
  pair_clear (&p);
}

static void
test_tls_verified (void)
{
  Pair p;
  GError *error = NULL;
  g_autofree gchar *desc = NULL;

  pair_init (&p);
  start_tls (&p, "localhost", cert_file, TRUE, cert_file);
  g_assert_true (tls_handshake (&p, &error));
  g_assert_no_error (error);
  desc = rtmpe_transport_describe_tls (p.a);
  g_assert_true (g_str_has_prefix (desc, "TLSv1."));
  pump (p.a, p.b, 1024 * 1024 + 3);
  pump (p.b, p.a, 100 * 1024);
  pair_clear (&p);

  /* an IP literal is checked against the IP SAN */
  pair_init (&p);
  start_tls (&p, "127.0.0.1", cert_file, TRUE, cert_file);
  g_assert_true (tls_handshake (&p, &error));
  g_assert_no_error (error);
  pair_clear (&p);
}

static void
test_tls_refused (void)
{
  Pair p;
  GError *error = NULL;

  /* self-signed, not in the system store: refused by default */
  pair_init (&p);
  start_tls (&p, "localhost", NULL, TRUE, cert_file);
  g_assert_false (tls_handshake (&p, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_clear_error (&error);
  pair_clear (&p);

  /* trusted chain, wrong host name */
  pair_init (&p);
  start_tls (&p, "wrong.example", cert_file, TRUE, cert_file);
  g_assert_false (tls_handshake (&p, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "mismatch"));
  g_clear_error (&error);
  pair_clear (&p);

  /* a certificate from another issuer than the CA file */
  pair_init (&p);
  start_tls (&p, "other.example", cert_file, TRUE, other_cert_file);
  g_assert_false (tls_handshake (&p, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);
  pair_clear (&p);

  /* verification off: accepted */
  pair_init (&p);
  start_tls (&p, "wrong.example", NULL, FALSE, cert_file);
  g_assert_true (tls_handshake (&p, &error));
  g_assert_no_error (error);
  pair_clear (&p);
}

static void
test_tls_server_config (void)
{
  GError *error = NULL;

  g_assert_null (rtmpe_tls_server_context_new (NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_clear_error (&error);
  g_assert_null (
      rtmpe_tls_server_context_new ("/nonexistent.pem", NULL, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent.pem"));
  g_clear_error (&error);
}

static void
test_eof (void)
{
  Pair p;
  guint8 buf[16];
  GError *error = NULL;

  pair_init (&p);
  rtmpe_transport_close (p.a);
  g_assert_cmpint (
      rtmpe_transport_read (p.b, buf, sizeof (buf), &error), ==, 0);
  g_assert_no_error (error);
  pair_clear (&p);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tls_setup ();
  g_test_add_func ("/transport/plain", test_plain);
  g_test_add_func ("/transport/rc4", test_rc4);
  g_test_add_func ("/transport/stage-clear", test_stage_clear);
  g_test_add_func ("/transport/tls/verified", test_tls_verified);
  g_test_add_func ("/transport/tls/refused", test_tls_refused);
  g_test_add_func ("/transport/tls/server-config", test_tls_server_config);
  g_test_add_func ("/transport/eof", test_eof);
  ret = g_test_run ();
  tls_teardown ();
  g_free (tls_dir);
  g_free (cert_file);
  g_free (key_file);
  g_free (other_cert_file);
  return ret;
}
