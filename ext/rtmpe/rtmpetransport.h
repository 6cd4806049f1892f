/* gst-rtmpe: a non-blocking byte transport: TCP, TLS (OpenSSL) or RC4
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One connected socket, made non-blocking, with at most one of two filters:
 * TLS (rtmps) or RC4 (rtmpe, installed after the handshake, which itself
 * goes in clear). Everything here is non-blocking: a call that cannot make
 * progress fails with G_IO_ERROR_WOULD_BLOCK and rtmpe_transport_wants()
 * says which socket condition to wait for. Not thread-safe: the caller
 * serialises calls (TLS forbids concurrent SSL calls anyway).
 */
#ifndef __RTMPE_TRANSPORT_H__
#define __RTMPE_TRANSPORT_H__

#include <gio/gio.h>
#include <openssl/ssl.h>

#include "rtmpecrypto.h"

G_BEGIN_DECLS

typedef struct _RtmpeTransport RtmpeTransport;

/* Largest amount of already-filtered bytes (RC4 or TLS) held for sending. */
#define RTMPE_TRANSPORT_STAGING_MAX (512 * 1024)

RtmpeTransport *rtmpe_transport_new (GSocket *socket);
void rtmpe_transport_free (RtmpeTransport *t);

GSocket *rtmpe_transport_get_socket (RtmpeTransport *t);
/* Asks the kernel to ACK what it receives at once (Linux TCP_QUICKACK,
 * which lapses by itself); does nothing elsewhere. */
void rtmpe_transport_quickack (RtmpeTransport *t);

/* TLS. A client verifies the peer's certificate chain (system trust store,
 * or @ca_file when given) and that it names @host, unless @verify is FALSE.
 * A server uses @ctx (see rtmpe_tls_server_context_new()). Then call
 * rtmpe_transport_handshake() until it returns TRUE. */
gboolean rtmpe_transport_start_tls_client (RtmpeTransport *t, const gchar *host,
    const gchar *ca_file, gboolean verify, GError **error);
gboolean rtmpe_transport_start_tls_server (
    RtmpeTransport *t, SSL_CTX *ctx, GError **error);
gboolean rtmpe_transport_handshake (RtmpeTransport *t, GError **error);
gboolean rtmpe_transport_is_tls (RtmpeTransport *t);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384", for stats; NULL without TLS */
gchar *rtmpe_transport_describe_tls (RtmpeTransport *t);

SSL_CTX *rtmpe_tls_server_context_new (
    const gchar *cert_file, const gchar *key_file, GError **error);

/* RTMPE: from now on every byte read is decrypted with @decrypt and every
 * byte written is encrypted with @encrypt (both already past their 1536
 * byte discard). Takes ownership of both. */
void rtmpe_transport_set_rc4 (
    RtmpeTransport *t, RtmpeRc4 *encrypt, RtmpeRc4 *decrypt);
gboolean rtmpe_transport_is_rc4 (RtmpeTransport *t);

/* Stages every byte of @v to go out exactly as given, ahead of anything
 * written later, whatever filter is installed after it: the handshake bytes
 * still queued when RC4 is installed (a C2 made in the same read that
 * brought S2) must leave in clear. Not with TLS. No cap (handshake packets
 * are small); returns the bytes staged. Send them with
 * rtmpe_transport_flush() or the next rtmpe_transport_writev(). */
gsize rtmpe_transport_stage_clear (
    RtmpeTransport *t, const GOutputVector *v, guint n_vectors);

/* Reads up to @len bytes into @buf, deciphered. Returns the count, 0 at the
 * end of the stream, -1 on error (G_IO_ERROR_WOULD_BLOCK: wait for
 * rtmpe_transport_wants()). */
gssize rtmpe_transport_read (
    RtmpeTransport *t, guint8 *buf, gsize len, GError **error);

/* Offers plaintext vectors; returns how many bytes were accepted (0 .. the
 * total), -1 on error. Plain TCP sends straight from the vectors (writev,
 * no copy) and accepts what the kernel took. RC4 and TLS filter the bytes
 * into a staging area, accepting up to RTMPE_TRANSPORT_STAGING_MAX held
 * bytes, and send from there: call rtmpe_transport_flush() when the socket
 * is writable until rtmpe_transport_pending() is 0. Accepted bytes are the
 * transport's: the caller may release them at once. */
gssize rtmpe_transport_writev (
    RtmpeTransport *t, const GOutputVector *v, guint n_vectors, GError **error);
/* Sends staged bytes; TRUE when nothing is left (or nothing could be sent
 * without blocking and no error happened: check rtmpe_transport_pending). */
gboolean rtmpe_transport_flush (RtmpeTransport *t, GError **error);
gsize rtmpe_transport_pending (RtmpeTransport *t);

/* Socket condition to wait for before retrying the call that would block;
 * TLS may need to write to read and to read to write. */
GIOCondition rtmpe_transport_wants (RtmpeTransport *t);

/* Orderly close: TLS close_notify when possible, then shutdown. */
void rtmpe_transport_close (RtmpeTransport *t);
/* Ends our sending side (TLS: close_notify first, so that the peer sees
 * an orderly end, not a truncation) and keeps reading possible. */
void rtmpe_transport_shutdown_write (RtmpeTransport *t);

/* Counters. */
guint64 rtmpe_transport_bytes_in (RtmpeTransport *t);
guint64 rtmpe_transport_bytes_out (RtmpeTransport *t);

G_END_DECLS

#endif
