/* rtmfp-attack: a hostile RTMFP peer, built on the core (gst/rtmfp), for
 * tests/rtmfp/test_hostile_rtmfp.py
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   rtmfp-attack PORT ihello-flood COUNT
 *       COUNT IHellos for rtmfp://127.0.0.1:PORT/live, each from a socket
 *       of its own on an address of 127.0.0.0/8 (127.a.b.c, a >= 16)
 *   rtmfp-attack PORT packets [-H] [-S] [-n COUNT]
 *       opens a session (-H: with HMAC, -S: with session sequence
 *       numbers, both required of the listener), then sends COUNT of each:
 *       a flipped bit in the ciphertext, in the HMAC or checksum, a
 *       plaintext of garbage padding with a valid checksum or HMAC, the
 *       session's ID with random bytes, random session IDs, and one
 *       captured ping datagram replayed; then pings again: the session
 *       must still answer
 *   rtmfp-attack PORT incomplete [-f FLOWS] [-t SECONDS] [-r KBPS]
 *       opens a session and FLOWS TC flows, each sending the begin and
 *       then middle fragments of a message that never ends, for SECONDS
 *
 * Prints one JSON object of figures on stdout. Exit 0 when the attack ran
 * (the caller judges the figures), 1 when it could not (no session).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rtmfpprivate.h"
#include "rtmfptc.h"
#include "rtmpecrypto.h"

typedef struct
{
  int fd;
  RtmfpEndpoint *ep;
  RtmfpAddress server;
  guint32 sid;
  gboolean open;
  gboolean closed;
  gchar *close_reason;
  /* pings we sent, tagged, and replies seen */
  guint pongs;
  guint64 ping_tag;
  guint received;
} Attacker;

static guint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static void
addr_from_sockaddr (const struct sockaddr_in *sa, RtmfpAddress *a)
{
  const guint8 *b = (const guint8 *) &sa->sin_addr.s_addr;

  rtmfp_address_set_ipv4 (a, b[0], b[1], b[2], b[3], ntohs (sa->sin_port));
}

static void
sockaddr_from_addr (const RtmfpAddress *a, struct sockaddr_in *sa)
{
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons (a->port);
  memcpy (&sa->sin_addr.s_addr, a->addr, 4);
}

static void
send_raw (Attacker *a, const guint8 *data, gsize len)
{
  struct sockaddr_in sa;

  sockaddr_from_addr (&a->server, &sa);
  (void) sendto (a->fd, data, len, 0, (struct sockaddr *) &sa, sizeof (sa));
}

/* Looks into what the listener sends us (a copy of the keys, so that the
 * endpoint's replay window is not moved) for ping replies to our tag. */
static void
inspect (Attacker *a, const guint8 *data, gsize len)
{
  RtmfpSession *s = a->sid ?
      g_hash_table_lookup (a->ep->sessions, GUINT_TO_POINTER (a->sid)) :
      NULL;
  RtmfpPacketKeys k;
  guint8 *plain;
  gsize off, plen;
  RtmfpPacketHeader h;
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *p;
  gsize pl;

  if (!s || !s->keyed)
    return;
  k = s->keys; /* the endpoint's replay window moves after this */
  plain = g_malloc (len);
  if (rtmfp_packet_open (&k, data, len, plain, &off, &plen) == RTMFP_OPEN_OK &&
      rtmfp_packet_header_parse (plain + off, plen, &h)) {
    rtmfp_chunk_iter_init (
        &it, plain + off + h.chunks_off, plen - h.chunks_off);
    while (rtmfp_chunk_iter_next (&it, &type, &p, &pl)) {
      if (type == RTMFP_CHUNK_PING_REPLY && pl == 8 &&
          memcmp (p, &a->ping_tag, 8) == 0)
        a->pongs++;
    }
  }
  g_free (plain);
}

static void
pump (Attacker *a, guint64 wait_us)
{
  guint64 now = now_us ();
  guint64 end = now + wait_us;
  RtmfpAddress to;
  GBytes *d;
  RtmfpEvent ev;

  do {
    guint64 dl = rtmfp_endpoint_next_deadline (a->ep);
    struct pollfd pfd = { a->fd, POLLIN, 0 };
    gint64 ms;

    now = now_us ();
    ms = (gint64) (MIN (dl, end) - MIN (now, MIN (dl, end))) / 1000;
    if (poll (&pfd, 1, (int) MIN (ms, 100)) > 0) {
      guint8 buf[8192];
      struct sockaddr_in from;
      socklen_t fl = sizeof (from);
      ssize_t n;

      while ((n = recvfrom (a->fd, buf, sizeof (buf), MSG_DONTWAIT,
                  (struct sockaddr *) &from, &fl)) > 0) {
        RtmfpAddress fa;

        addr_from_sockaddr (&from, &fa);
        a->received++;
        inspect (a, buf, n);
        rtmfp_endpoint_receive (a->ep, now_us (), &fa, buf, n);
        fl = sizeof (from);
      }
    }
    now = now_us ();
    rtmfp_endpoint_advance (a->ep, now);
    while ((d = rtmfp_endpoint_pull_datagram (a->ep, now, &to))) {
      gsize len;
      const guint8 *p = g_bytes_get_data (d, &len);

      send_raw (a, p, len);
      g_bytes_unref (d);
    }
    while (rtmfp_endpoint_pop_event (a->ep, &ev)) {
      if (ev.session == a->sid) {
        if (ev.type == RTMFP_EVENT_SESSION_OPEN)
          a->open = TRUE;
        else if (ev.type == RTMFP_EVENT_SESSION_FAILED ||
            ev.type == RTMFP_EVENT_SESSION_CLOSED) {
          a->closed = TRUE;
          g_free (a->close_reason);
          a->close_reason = g_strdup (ev.reason ? ev.reason : "closed");
        }
      }
      rtmfp_event_clear (&ev);
    }
  } while (now_us () < end);
}

static gboolean
connect_session (Attacker *a, int port, guint8 hmac, guint8 sseq)
{
  RtmfpConfig c;
  g_autoptr (GError) error = NULL;
  gchar *uri = g_strdup_printf ("rtmfp://127.0.0.1:%d/live", port);
  struct sockaddr_in sa;
  guint64 t0;

  rtmfp_config_init (&c, rtmpe_crypto_openssl (), FALSE);
  c.hmac_flags = hmac;
  c.sseq_flags = sseq;
  a->ep = rtmfp_endpoint_new (&c, now_us (), &error);
  g_assert (a->ep);
  a->fd = socket (AF_INET, SOCK_DGRAM, 0);
  rtmfp_address_set_ipv4 (&a->server, 127, 0, 0, 1, port);
  sockaddr_from_addr (&a->server, &sa);
  sa.sin_port = 0;
  if (bind (a->fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    return FALSE;
  a->sid =
      rtmfp_endpoint_connect_uri (a->ep, now_us (), uri, &a->server, &error);
  g_free (uri);
  if (!a->sid)
    return FALSE;
  t0 = now_us ();
  while (!a->open && !a->closed && now_us () - t0 < 5 * RTMFP_SEC)
    pump (a, 20 * RTMFP_MS);
  return a->open;
}

static RtmfpSession *
session (Attacker *a)
{
  return g_hash_table_lookup (a->ep->sessions, GUINT_TO_POINTER (a->sid));
}

/* A plain packet of the initiator's mode, with a timestamp, and @chunks;
 * padded with 0xff or with @garbage (as chunks that do not parse). */
static GByteArray *
plain_packet (const guint8 *chunks, gsize len, gboolean garbage)
{
  GByteArray *b = g_byte_array_new ();
  RtmfpPacketHeader h = { 0 };

  h.mode = RTMFP_MODE_INITIATOR;
  h.has_ts = TRUE;
  h.ts = rtmfp_session_timestamp (now_us ());
  rtmfp_packet_header_write (b, &h);
  g_byte_array_append (b, chunks, len);
  if (garbage) {
    /* a chunk header promising more than there is, then random bytes */
    static const guint8 bad[] = { 0x10, 0x7f, 0xff, 0x00, 0x13, 0x37 };

    g_byte_array_append (b, bad, sizeof (bad));
    for (guint i = 0; i < 11; i++)
      rtmfp_put_u8 (b, g_random_int () & 0xff);
  }
  return b;
}

/* Seals @plain with the session's keys (moving its SSEQ like a real
 * packet) into a datagram. */
static GByteArray *
seal (Attacker *a, GByteArray *plain)
{
  RtmfpSession *s = session (a);
  GByteArray *out = g_byte_array_new ();

  rtmfp_packet_seal (&s->keys, s->far_id, plain->data, plain->len, out);
  return out;
}

static GByteArray *
ping_datagram (Attacker *a)
{
  GByteArray *c = g_byte_array_new ();
  GByteArray *p, *d;

  rtmfp_ping_chunk_build (c, FALSE, (const guint8 *) &a->ping_tag, 8);
  p = plain_packet (c->data, c->len, FALSE);
  d = seal (a, p);
  g_byte_array_unref (c);
  g_byte_array_unref (p);
  return d;
}

static guint
ping_and_count (Attacker *a, guint n, guint64 wait)
{
  guint before = a->pongs;

  for (guint i = 0; i < n; i++) {
    GByteArray *d = ping_datagram (a);

    send_raw (a, d->data, d->len);
    g_byte_array_unref (d);
  }
  pump (a, wait);
  return a->pongs - before;
}

static int
attack_packets (int port, int argc, char **argv)
{
  Attacker a = { 0 };
  guint8 hmac = RTMFP_NEG_SOR, sseq = RTMFP_NEG_SOR;
  guint n = 200;
  guint before, after, replay_pongs, garbage_pongs;
  RtmfpSession *s;
  GByteArray *d;
  guint sent = 0;

  for (int i = 0; i < argc; i++) {
    if (!strcmp (argv[i], "-H"))
      hmac = RTMFP_NEG_REQ | RTMFP_NEG_SND;
    else if (!strcmp (argv[i], "-S"))
      sseq = RTMFP_NEG_REQ | RTMFP_NEG_SND;
    else if (!strcmp (argv[i], "-n") && i + 1 < argc)
      n = atoi (argv[++i]);
  }
  a.ping_tag = g_random_int () | ((guint64) g_random_int () << 32);
  if (!connect_session (&a, port, hmac, sseq)) {
    printf ("{\"error\": \"no session\"}\n");
    return 1;
  }
  s = session (&a);
  before = ping_and_count (&a, 3, 300 * RTMFP_MS);

  /* a flipped bit in the ciphertext, and in the HMAC (or, without one,
   * in the checksum, which is in the first block: the same flip) */
  for (guint i = 0; i < n; i++) {
    d = ping_datagram (&a);
    if (i % 2 == 0 || !s->keys.send_hmac_len)
      d->data[4 + g_random_int_range (0, d->len - 4 - s->keys.send_hmac_len)] ^=
          1 << g_random_int_range (0, 8);
    else
      d->data[d->len - 1 - g_random_int_range (0, s->keys.send_hmac_len)] ^= 1
          << g_random_int_range (0, 8);
    send_raw (&a, d->data, d->len);
    g_byte_array_unref (d);
    sent++;
    if (i % 50 == 49)
      pump (&a, 0);
  }
  /* garbage after the chunks, with a valid checksum or HMAC: the ping
   * before it still counts, the rest is ignored */
  {
    guint b0 = a.pongs;
    GByteArray *c = g_byte_array_new ();

    rtmfp_ping_chunk_build (c, FALSE, (const guint8 *) &a.ping_tag, 8);
    for (guint i = 0; i < n; i++) {
      GByteArray *p = plain_packet (c->data, c->len, TRUE);

      d = seal (&a, p);
      send_raw (&a, d->data, d->len);
      g_byte_array_unref (d);
      g_byte_array_unref (p);
      sent++;
      if (i % 50 == 49)
        pump (&a, 0);
    }
    g_byte_array_unref (c);
    pump (&a, 300 * RTMFP_MS);
    garbage_pongs = a.pongs - b0;
  }
  /* the session's ID with random ciphertext; random session IDs */
  for (guint i = 0; i < 2 * n; i++) {
    guint8 buf[4 + 64 + 32];
    gsize len = 4 + 16 * g_random_int_range (1, 5) +
        (i % 2 ? 0 : s->keys.send_hmac_len);
    guint32 id = i % 2 ? g_random_int () | 1 : s->far_id;

    for (gsize k = 4; k < len; k++)
      buf[k] = g_random_int () & 0xff;
    id = rtmfp_scramble_session_id (id, buf + 4, len - 4);
    buf[0] = id >> 24;
    buf[1] = id >> 16;
    buf[2] = id >> 8;
    buf[3] = id;
    send_raw (&a, buf, len);
    sent++;
    if (i % 50 == 49)
      pump (&a, 0);
  }
  /* replay: one ping datagram, n times */
  {
    guint b0 = a.pongs;

    d = ping_datagram (&a);
    for (guint i = 0; i < n; i++) {
      send_raw (&a, d->data, d->len);
      sent++;
    }
    g_byte_array_unref (d);
    pump (&a, 300 * RTMFP_MS);
    replay_pongs = a.pongs - b0;
  }
  after = ping_and_count (&a, 3, 500 * RTMFP_MS);
  printf ("{\"hmac\": %s, \"sseq\": %s, \"sent\": %u, \"pongs_before\": %u, "
          "\"garbage_pongs\": %u, \"replay_pongs\": %u, \"pongs_after\": %u, "
          "\"open\": %s, \"close_reason\": \"%s\"}\n",
      s->keys.send_hmac_len ? "true" : "false",
      s->keys.send_sseq ? "true" : "false", sent, before, garbage_pongs,
      replay_pongs, after, a.closed ? "false" : "true",
      a.close_reason ? a.close_reason : "");
  rtmfp_endpoint_close_session (a.ep, now_us (), a.sid, FALSE);
  pump (&a, 200 * RTMFP_MS);
  rtmfp_endpoint_free (a.ep);
  close (a.fd);
  return 0;
}

static int
attack_ihello_flood (int port, guint count)
{
  GByteArray *c = g_byte_array_new (), *plain = g_byte_array_new ();
  gchar *uri = g_strdup_printf ("rtmfp://127.0.0.1:%d/live", port);
  GBytes *epd = rtmfp_epd_new_ancillary ((const guint8 *) uri, strlen (uri));
  RtmfpPacketKeys keys;
  RtmfpIHelloChunk ih = { 0 };
  RtmfpPacketHeader h = { 0 };
  struct sockaddr_in to;
  guint8 tag[16];
  guint rhellos = 0, sent = 0, fails = 0;
  guint64 t0 = now_us ();
  enum
  {
    BATCH = 256
  };
  int fds[BATCH];

  rtmfp_packet_keys_init_default (&keys, rtmpe_crypto_openssl ());
  memset (&to, 0, sizeof (to));
  to.sin_family = AF_INET;
  to.sin_port = htons (port);
  to.sin_addr.s_addr = htonl (0x7f000001);
  ih.epd = g_bytes_get_data (epd, &ih.epd_len);
  ih.tag = tag;
  ih.tag_len = sizeof (tag);
  for (guint base = 0; base < count; base += BATCH) {
    guint nb = MIN (BATCH, count - base);

    for (guint i = 0; i < nb; i++) {
      guint k = base + i;
      struct sockaddr_in sa = { 0 };
      GByteArray *d = g_byte_array_new ();

      fds[i] = socket (AF_INET, SOCK_DGRAM, 0);
      sa.sin_family = AF_INET;
      /* 127.16.0.1 onwards: a distinct address for each */
      sa.sin_addr.s_addr = htonl (0x7f100001 + k);
      if (fds[i] < 0 || bind (fds[i], (struct sockaddr *) &sa, sizeof (sa))) {
        fails++;
        if (fds[i] >= 0)
          close (fds[i]);
        fds[i] = -1;
        g_byte_array_unref (d);
        continue;
      }
      for (guint j = 0; j < sizeof (tag); j++)
        tag[j] = g_random_int () & 0xff;
      g_byte_array_set_size (c, 0);
      g_byte_array_set_size (plain, 0);
      rtmfp_ihello_chunk_build (c, &ih);
      h.mode = RTMFP_MODE_STARTUP;
      rtmfp_packet_header_write (plain, &h);
      g_byte_array_append (plain, c->data, c->len);
      rtmfp_packet_seal (&keys, 0, plain->data, plain->len, d);
      if (sendto (fds[i], d->data, d->len, 0, (struct sockaddr *) &to,
              sizeof (to)) > 0)
        sent++;
      g_byte_array_unref (d);
    }
    /* collect the RHellos of this batch (the listener answers at once) */
    for (guint i = 0; i < nb; i++) {
      struct pollfd pfd = { fds[i], POLLIN, 0 };
      guint8 buf[2048];

      if (fds[i] < 0)
        continue;
      if (poll (&pfd, 1, 200) > 0 && recv (fds[i], buf, sizeof (buf), 0) > 0)
        rhellos++;
      close (fds[i]);
    }
  }
  printf ("{\"sent\": %u, \"rhellos\": %u, \"bind_failures\": %u, "
          "\"seconds\": %.2f}\n",
      sent, rhellos, fails, (now_us () - t0) / 1e6);
  rtmfp_packet_keys_clear (&keys);
  g_bytes_unref (epd);
  g_free (uri);
  g_byte_array_unref (c);
  g_byte_array_unref (plain);
  return 0;
}

static int
attack_incomplete (int port, int argc, char **argv)
{
  Attacker a = { 0 };
  guint flows = 4;
  double seconds = 5, kbps = 40000;
  guint64 seq[64], t0, sent_bytes = 0, next;
  guint8 data[1000];
  GBytes *md = rtmfp_tc_metadata_new (0, FALSE);
  guint64 packets = 0;

  for (int i = 0; i < argc; i++) {
    if (!strcmp (argv[i], "-f") && i + 1 < argc)
      flows = atoi (argv[++i]);
    else if (!strcmp (argv[i], "-t") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "-r") && i + 1 < argc)
      kbps = atof (argv[++i]);
  }
  flows = CLAMP (flows, 1, 64);
  memset (data, 0x5a, sizeof (data));
  a.ping_tag = g_random_int () | ((guint64) g_random_int () << 32);
  if (!connect_session (&a, port, RTMFP_NEG_SOR, RTMFP_NEG_SOR)) {
    printf ("{\"error\": \"no session\"}\n");
    return 1;
  }
  for (guint f = 0; f < flows; f++)
    seq[f] = 1;
  t0 = next = now_us ();
  while (now_us () - t0 < seconds * RTMFP_SEC && !a.closed) {
    /* one packet per flow: the begin fragment (with the metadata), then
     * middle fragments, never the end; flow IDs far from the endpoint's
     * own (it opens none) */
    for (guint f = 0; f < flows; f++) {
      RtmfpUserDataChunk u = { 0 };
      GByteArray *c = g_byte_array_new (), *p, *d;

      u.flow_id = 100 + f;
      u.seq = seq[f];
      u.fsn_offset = seq[f]; /* fsn 0: everything before was sent */
      u.fra = seq[f] == 1 ? RTMFP_FRA_BEGIN : RTMFP_FRA_MIDDLE;
      if (seq[f] == 1) {
        u.has_options = TRUE;
        u.metadata = g_bytes_get_data (md, &u.metadata_len);
      }
      u.data = data;
      u.data_len = sizeof (data);
      rtmfp_user_data_chunk_build (c, &u);
      p = plain_packet (c->data, c->len, FALSE);
      d = seal (&a, p);
      send_raw (&a, d->data, d->len);
      g_byte_array_unref (d);
      g_byte_array_unref (p);
      g_byte_array_unref (c);
      seq[f]++;
      packets++;
      sent_bytes += sizeof (data);
    }
    /* paced at @kbps */
    next = t0 + (guint64) (sent_bytes * 8 * 1000.0 / kbps);
    if (next > now_us ())
      pump (&a, next - now_us ());
    else if (packets % 64 == 0)
      pump (&a, 0);
  }
  {
    guint alive = a.closed ? 0 : ping_and_count (&a, 3, 500 * RTMFP_MS);

    printf ("{\"flows\": %u, \"packets\": %" G_GUINT64_FORMAT
            ", \"bytes\": %" G_GUINT64_FORMAT
            ", \"seconds\": %.2f, \"pongs_after\": %u, \"open\": %s, "
            "\"close_reason\": \"%s\"}\n",
        flows, packets, sent_bytes, (now_us () - t0) / 1e6, alive,
        a.closed ? "false" : "true", a.close_reason ? a.close_reason : "");
  }
  g_bytes_unref (md);
  if (!a.closed) {
    rtmfp_endpoint_close_session (a.ep, now_us (), a.sid, FALSE);
    pump (&a, 200 * RTMFP_MS);
  }
  rtmfp_endpoint_free (a.ep);
  close (a.fd);
  return 0;
}

int
main (int argc, char **argv)
{
  int port;

  gst_init (NULL, NULL);
  if (argc < 3) {
    fprintf (stderr,
        "usage: rtmfp-attack PORT ihello-flood COUNT | packets "
        "[-H] [-S] [-n N] | incomplete [-f FLOWS] [-t S] "
        "[-r KBPS]\n");
    return 2;
  }
  port = atoi (argv[1]);
  if (!strcmp (argv[2], "ihello-flood") && argc == 4)
    return attack_ihello_flood (port, atoi (argv[3]));
  if (!strcmp (argv[2], "packets"))
    return attack_packets (port, argc - 3, argv + 3);
  if (!strcmp (argv[2], "incomplete"))
    return attack_incomplete (port, argc - 3, argv + 3);
  fprintf (stderr, "unknown attack %s\n", argv[2]);
  return 2;
}
