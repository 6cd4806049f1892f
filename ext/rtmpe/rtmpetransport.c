/* gst-rtmpe: a non-blocking byte transport: TCP, TLS (OpenSSL) or RC4
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpetransport.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* sendmsg() takes at most IOV_MAX (1024 on Linux) vectors */
#define MAX_VECTORS 1024

struct _RtmpeTransport
{
  GSocket *socket;

  SSL *ssl;
  RtmpeRc4 *rc4_out;
  RtmpeRc4 *rc4_in;

  /* filtered bytes waiting for the socket: [start, end) of buf */
  guint8 *staging;
  gsize staging_cap;
  gsize staging_start;
  gsize staging_end;

  GIOCondition wants;
  guint64 bytes_in;
  guint64 bytes_out;
};

RtmpeTransport *
rtmpe_transport_new (GSocket *socket)
{
  RtmpeTransport *t = g_new0 (RtmpeTransport, 1);

  t->socket = g_object_ref (socket);
  g_socket_set_blocking (socket, FALSE);
  /* small control messages must not wait for delayed ACKs; media goes out
   * in large writev batches anyway */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  t->wants = G_IO_IN;
  return t;
}

void
rtmpe_transport_quickack (RtmpeTransport *t)
{
#ifdef TCP_QUICKACK
  g_socket_set_option (t->socket, IPPROTO_TCP, TCP_QUICKACK, 1, NULL);
#else
  (void) t;
#endif
}

void
rtmpe_transport_free (RtmpeTransport *t)
{
  if (!t)
    return;
  if (t->ssl)
    SSL_free (t->ssl);
  rtmpe_rc4_free (t->rc4_out);
  rtmpe_rc4_free (t->rc4_in);
  g_free (t->staging);
  g_object_unref (t->socket);
  g_free (t);
}

GSocket *
rtmpe_transport_get_socket (RtmpeTransport *t)
{
  return t->socket;
}

/* ---- TLS ----------------------------------------------------------------- */

static void
set_ssl_error (GError **error, gint code, const gchar *what)
{
  gulong e = ERR_get_error ();
  gchar buf[256];

  if (e)
    ERR_error_string_n (e, buf, sizeof (buf));
  else
    g_strlcpy (buf, "no details", sizeof (buf));
  g_set_error (error, G_TLS_ERROR, code, "%s: %s", what, buf);
  ERR_clear_error ();
}

/* OpenSSL 3 reports a TCP close without close_notify as an SSL error
 * (OpenSSL 1.1 said SSL_ERROR_SYSCALL with nothing queued). */
static gboolean
is_unexpected_eof (void)
{
  gulong e = ERR_peek_error ();

  return ERR_GET_LIB (e) == ERR_LIB_SSL &&
      ERR_GET_REASON (e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static gboolean
attach_ssl (RtmpeTransport *t, SSL_CTX *ctx, GError **error)
{
  t->ssl = SSL_new (ctx);
  if (!t->ssl || !SSL_set_fd (t->ssl, g_socket_get_fd (t->socket))) {
    set_ssl_error (error, G_TLS_ERROR_MISC, "TLS set-up failed");
    return FALSE;
  }
  SSL_set_mode (t->ssl,
      SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return TRUE;
}

gboolean
rtmpe_transport_start_tls_client (RtmpeTransport *t, const gchar *host,
    const gchar *ca_file, gboolean verify, GError **error)
{
  SSL_CTX *ctx;
  gboolean ok = FALSE;

  g_return_val_if_fail (t->ssl == NULL && t->rc4_in == NULL, FALSE);

  ctx = SSL_CTX_new (TLS_client_method ());
  if (!ctx) {
    set_ssl_error (error, G_TLS_ERROR_MISC, "TLS set-up failed");
    return FALSE;
  }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (verify) {
    SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file && *ca_file) {
      if (!SSL_CTX_load_verify_locations (ctx, ca_file, NULL)) {
        gchar *what = g_strdup_printf ("could not load CA file '%s'", ca_file);
        set_ssl_error (error, G_TLS_ERROR_MISC, what);
        g_free (what);
        goto out;
      }
    } else if (!SSL_CTX_set_default_verify_paths (ctx)) {
      set_ssl_error (error, G_TLS_ERROR_MISC,
          "could not load the system's trusted certificates");
      goto out;
    }
  } else {
    SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
  }

  if (!attach_ssl (t, ctx, error))
    goto out;
  if (g_hostname_is_ip_address (host)) {
    /* an IP literal: checked against the certificate's IP SANs, no SNI */
    if (verify &&
        !X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (t->ssl), host)) {
      set_ssl_error (error, G_TLS_ERROR_MISC, "bad IP address for TLS");
      goto out;
    }
  } else {
    SSL_set_tlsext_host_name (t->ssl, host);
    if (verify && !SSL_set1_host (t->ssl, host)) {
      set_ssl_error (error, G_TLS_ERROR_MISC, "bad host name for TLS");
      goto out;
    }
  }
  SSL_set_connect_state (t->ssl);
  t->wants = G_IO_OUT;
  ok = TRUE;

out:
  SSL_CTX_free (ctx);
  return ok;
}

SSL_CTX *
rtmpe_tls_server_context_new (
    const gchar *cert_file, const gchar *key_file, GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());

  if (!ctx) {
    set_ssl_error (error, G_TLS_ERROR_MISC, "TLS set-up failed");
    return NULL;
  }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (!cert_file || !*cert_file) {
    g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "listening on rtmps:// needs a certificate (tls-certificate-file)");
    goto failed;
  }
  if (SSL_CTX_use_certificate_chain_file (ctx, cert_file) != 1) {
    gchar *what =
        g_strdup_printf ("could not load certificate '%s'", cert_file);
    set_ssl_error (error, G_TLS_ERROR_MISC, what);
    g_free (what);
    goto failed;
  }
  if (SSL_CTX_use_PrivateKey_file (ctx,
          key_file && *key_file ? key_file : cert_file,
          SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key (ctx) != 1) {
    gchar *what = g_strdup_printf ("could not load the private key '%s'",
        key_file && *key_file ? key_file : cert_file);
    set_ssl_error (error, G_TLS_ERROR_MISC, what);
    g_free (what);
    goto failed;
  }
  return ctx;

failed:
  SSL_CTX_free (ctx);
  return NULL;
}

gboolean
rtmpe_transport_start_tls_server (
    RtmpeTransport *t, SSL_CTX *ctx, GError **error)
{
  g_return_val_if_fail (t->ssl == NULL && t->rc4_in == NULL, FALSE);

  if (!attach_ssl (t, ctx, error))
    return FALSE;
  SSL_set_accept_state (t->ssl);
  t->wants = G_IO_IN;
  return TRUE;
}

/* Maps an SSL_* failure; TRUE when it only means "try again later". */
static gboolean
ssl_would_block (RtmpeTransport *t, int ret, const gchar *what, GError **error)
{
  int err = SSL_get_error (t->ssl, ret);

  switch (err) {
    case SSL_ERROR_WANT_READ:
      t->wants = G_IO_IN;
      g_set_error_literal (
          error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
      return TRUE;
    case SSL_ERROR_WANT_WRITE:
      t->wants = G_IO_OUT;
      g_set_error_literal (
          error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
      return TRUE;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error () == 0 ||
          ERR_GET_LIB (ERR_peek_error ()) == ERR_LIB_SYS) {
        /* the socket failed under TLS (a reset ...): the connection is
         * lost, which is worth a reconnection, not a TLS failure */
        gint e = errno;

        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
            "%s: connection closed by the peer%s%s", what, e ? ": " : "",
            e ? g_strerror (e) : "");
        ERR_clear_error ();
        return FALSE;
      }
      /* fall through */
    default: {
      long vr;

      if (is_unexpected_eof ()) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
            "%s: the peer closed the connection without a TLS close_notify",
            what);
        ERR_clear_error ();
        return FALSE;
      }
      vr = SSL_get_verify_result (t->ssl);

      if (vr != X509_V_OK) {
        g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
            "the server's TLS certificate was not accepted: %s",
            X509_verify_cert_error_string (vr));
        ERR_clear_error ();
      } else {
        set_ssl_error (error, G_TLS_ERROR_HANDSHAKE, what);
      }
      return FALSE;
    }
  }
}

gboolean
rtmpe_transport_handshake (RtmpeTransport *t, GError **error)
{
  int ret;

  if (!t->ssl)
    return TRUE;
  ret = SSL_do_handshake (t->ssl);
  if (ret == 1) {
    t->wants = G_IO_IN;
    return TRUE;
  }
  ssl_would_block (t, ret, "TLS handshake failed", error);
  return FALSE;
}

gboolean
rtmpe_transport_is_tls (RtmpeTransport *t)
{
  return t->ssl != NULL;
}

gchar *
rtmpe_transport_describe_tls (RtmpeTransport *t)
{
  if (!t->ssl)
    return NULL;
  return g_strdup_printf (
      "%s %s", SSL_get_version (t->ssl), SSL_get_cipher_name (t->ssl));
}

/* ---- RC4 ----------------------------------------------------------------- */

void
rtmpe_transport_set_rc4 (
    RtmpeTransport *t, RtmpeRc4 *encrypt, RtmpeRc4 *decrypt)
{
  g_return_if_fail (t->ssl == NULL);

  rtmpe_rc4_free (t->rc4_out);
  rtmpe_rc4_free (t->rc4_in);
  t->rc4_out = encrypt;
  t->rc4_in = decrypt;
}

gboolean
rtmpe_transport_is_rc4 (RtmpeTransport *t)
{
  return t->rc4_out != NULL;
}

/* ---- reading ------------------------------------------------------------- */

gssize
rtmpe_transport_read (RtmpeTransport *t, guint8 *buf, gsize len, GError **error)
{
  gssize n;

  if (t->ssl) {
    size_t got = 0;
    int ret;

    ERR_clear_error ();
    ret = SSL_read_ex (t->ssl, buf, len, &got);
    if (ret != 1) {
      int err = SSL_get_error (t->ssl, ret);

      if (err == SSL_ERROR_ZERO_RETURN)
        return 0;
      if ((err == SSL_ERROR_SYSCALL && ERR_peek_error () == 0) ||
          (err == SSL_ERROR_SSL && is_unexpected_eof ())) {
        /* closed without close_notify: the end of the stream as far as
         * TLS goes; RTMP's own framing tells a cut message */
        ERR_clear_error ();
        return 0;
      }
      ssl_would_block (t, ret, "TLS read failed", error);
      return -1;
    }
    t->wants = G_IO_IN;
    t->bytes_in += got;
    return got;
  }

  /* recv () itself: GSocket's wrapper adds checks and, for the expected
   * EAGAIN, a formatted error per call */
  do
    n = recv (g_socket_get_fd (t->socket), buf, len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;

    t->wants = G_IO_IN;
    if (e == EAGAIN || e == EWOULDBLOCK)
      g_set_error_literal (
          error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "nothing to read yet");
    else
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "Error receiving data: %s", g_strerror (e));
    return -1;
  }
  t->bytes_in += n;
  if (t->rc4_in && n > 0)
    rtmpe_rc4_process (t->rc4_in, buf, buf, n);
  return n;
}

/* ---- writing ------------------------------------------------------------- */

gsize
rtmpe_transport_pending (RtmpeTransport *t)
{
  return t->staging_end - t->staging_start;
}

/* Room for @want more bytes at the end of the staging area, within the cap;
 * returns how many fit. */
static gsize
staging_reserve (RtmpeTransport *t, gsize want)
{
  gsize pending = rtmpe_transport_pending (t);
  gsize room =
      RTMPE_TRANSPORT_STAGING_MAX - MIN (pending, RTMPE_TRANSPORT_STAGING_MAX);
  gsize n = MIN (want, room);

  if (t->staging_start > 0 && t->staging_end + n > t->staging_cap) {
    memmove (t->staging, t->staging + t->staging_start, pending);
    t->staging_start = 0;
    t->staging_end = pending;
  }
  if (t->staging_end + n > t->staging_cap) {
    gsize cap = MAX (t->staging_cap * 2, 64 * 1024);

    while (cap < t->staging_end + n)
      cap *= 2;
    t->staging = g_realloc (t->staging, cap);
    t->staging_cap = cap;
  }
  return n;
}

gsize
rtmpe_transport_stage_clear (
    RtmpeTransport *t, const GOutputVector *v, guint n_vectors)
{
  gsize staged = 0;

  g_return_val_if_fail (t->ssl == NULL, 0);

  for (guint i = 0; i < n_vectors; i++) {
    gsize pending = rtmpe_transport_pending (t);

    /* staging_reserve() keeps to the cap; these few bytes may pass it */
    if (t->staging_start > 0) {
      memmove (t->staging, t->staging + t->staging_start, pending);
      t->staging_start = 0;
      t->staging_end = pending;
    }
    if (t->staging_end + v[i].size > t->staging_cap) {
      t->staging_cap = MAX (t->staging_end + v[i].size, 64 * 1024);
      t->staging = g_realloc (t->staging, t->staging_cap);
    }
    memcpy (t->staging + t->staging_end, v[i].buffer, v[i].size);
    t->staging_end += v[i].size;
    staged += v[i].size;
  }
  return staged;
}

gboolean
rtmpe_transport_flush (RtmpeTransport *t, GError **error)
{
  while (t->staging_end > t->staging_start) {
    const guint8 *p = t->staging + t->staging_start;
    gsize len = t->staging_end - t->staging_start;
    gssize n;

    if (t->ssl) {
      size_t put = 0;
      int ret;

      ERR_clear_error ();
      ret = SSL_write_ex (t->ssl, p, len, &put);
      if (ret != 1) {
        GError *err = NULL;

        if (ssl_would_block (t, ret, "TLS write failed", &err)) {
          g_error_free (err);
          return TRUE;
        }
        g_propagate_error (error, err);
        return FALSE;
      }
      n = put;
    } else {
      GError *err = NULL;

      n = g_socket_send (t->socket, (const gchar *) p, len, NULL, &err);
      if (n < 0) {
        if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
          g_error_free (err);
          t->wants = G_IO_OUT;
          return TRUE;
        }
        g_propagate_error (error, err);
        return FALSE;
      }
    }
    t->bytes_out += n;
    t->staging_start += n;
  }
  t->staging_start = t->staging_end = 0;
  return TRUE;
}

gssize
rtmpe_transport_writev (
    RtmpeTransport *t, const GOutputVector *v, guint n_vectors, GError **error)
{
  gsize accepted = 0;

  if (!t->ssl && !t->rc4_out && rtmpe_transport_pending (t) == 0) {
    GError *err = NULL;
    gssize n;

    if (n_vectors == 0)
      return 0;
    /* staged bytes go first */
    if (!rtmpe_transport_flush (t, error))
      return -1;
    if (rtmpe_transport_pending (t) > 0)
      return 0;
    n = g_socket_send_message (t->socket, NULL, (GOutputVector *) v,
        MIN (n_vectors, MAX_VECTORS), NULL, 0, G_SOCKET_MSG_NONE, NULL, &err);
    if (n < 0) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (err);
        t->wants = G_IO_OUT;
        return 0;
      }
      g_propagate_error (error, err);
      return -1;
    }
    t->bytes_out += n;
    return n;
  }

  /* filtered: make room by sending what is staged, then stage more */
  if (!rtmpe_transport_flush (t, error))
    return -1;
  for (guint i = 0; i < n_vectors; i++) {
    gsize n = staging_reserve (t, v[i].size);
    guint8 *dst = t->staging + t->staging_end;

    if (n == 0)
      break;
    if (t->rc4_out)
      rtmpe_rc4_process (t->rc4_out, v[i].buffer, dst, n);
    else
      memcpy (dst, v[i].buffer, n);
    t->staging_end += n;
    accepted += n;
    if (n < v[i].size)
      break;
  }
  if (!rtmpe_transport_flush (t, error))
    return -1;
  if (rtmpe_transport_pending (t) > 0)
    t->wants = t->ssl ? t->wants : G_IO_OUT;
  return accepted;
}

GIOCondition
rtmpe_transport_wants (RtmpeTransport *t)
{
  return t->wants;
}

void
rtmpe_transport_shutdown_write (RtmpeTransport *t)
{
  if (t->ssl) {
    ERR_clear_error ();
    SSL_shutdown (t->ssl);
    ERR_clear_error ();
  }
  g_socket_shutdown (t->socket, FALSE, TRUE, NULL);
}

void
rtmpe_transport_close (RtmpeTransport *t)
{
  if (t->ssl) {
    ERR_clear_error ();
    SSL_shutdown (t->ssl);
    ERR_clear_error ();
  }
  g_socket_shutdown (t->socket, FALSE, TRUE, NULL);
  g_socket_close (t->socket, NULL);
}

guint64
rtmpe_transport_bytes_in (RtmpeTransport *t)
{
  return t->bytes_in;
}

guint64
rtmpe_transport_bytes_out (RtmpeTransport *t)
{
  return t->bytes_out;
}
