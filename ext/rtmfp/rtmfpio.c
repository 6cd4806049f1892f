/* gst-rtmfp: UDP sockets and timers driving an RtmfpEndpoint
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpio.h"
#include "rtmperror.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

GST_DEBUG_CATEGORY_STATIC (rtmfp_io_debug);
#define GST_CAT_DEFAULT rtmfp_io_debug

/* datagrams read before pumping (acknowledgements, output) again */
#define READ_BATCH 64
/* socket buffers: a burst of a congestion window must fit */
#define SOCKET_BUFFER (4 << 20)
/* more than any RTMFP datagram (the core drops what is too long) */
#define RTMFP_IO_MAX_DATAGRAM 8192

typedef struct
{
  GSource source;
  RtmfpIo *io;
} TimerSource;

struct _RtmfpIo
{
  RtmfpEndpoint *ep;
  RtmfpIoEventFunc event_func;
  RtmfpIoPumpFunc pump_func;
  gpointer data;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  GSocket *sock4, *sock6;
  gboolean sock6_dual; /* sock6 also carries IPv4 (mapped addresses) */
  GSource *read4, *read6;
  GSource *write_watch;
  GSource *timer;

  GBytes *pending; /* a datagram the socket would not take yet */
  RtmfpAddress pending_to;
  gboolean pumping, repump;

  GMutex stats_lock;
  RtmfpIoStats stats;

  guint8 buf[RTMFP_IO_MAX_DATAGRAM];
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmfp_io_debug, "rtmfp-io", 0,
        "RTMFP UDP sockets, timers and the endpoint's thread");
    g_once_init_leave (&once, 1);
  }
}

guint64
rtmfp_io_now (void)
{
  return (guint64) g_get_monotonic_time ();
}

/* ---- addresses ----------------------------------------------------------- */

static gboolean
address_from_sockaddr (
    const struct sockaddr *sa, socklen_t len, RtmfpAddress *a)
{
  memset (a, 0, sizeof (*a));
  if (sa->sa_family == AF_INET && len >= sizeof (struct sockaddr_in)) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *) sa;

    a->family = 4;
    memcpy (a->addr, &s4->sin_addr, 4);
    a->port = g_ntohs (s4->sin_port);
    return TRUE;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof (struct sockaddr_in6)) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) sa;
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
      0xff };

    if (memcmp (&s6->sin6_addr, mapped, 12) == 0) {
      a->family = 4;
      memcpy (a->addr, ((const guint8 *) &s6->sin6_addr) + 12, 4);
    } else {
      a->family = 6;
      memcpy (a->addr, &s6->sin6_addr, 16);
    }
    a->port = g_ntohs (s6->sin6_port);
    return TRUE;
  }
  return FALSE;
}

/* @v6: as an IPv6 socket address (IPv4 mapped). */
static socklen_t
address_to_sockaddr (
    const RtmfpAddress *a, gboolean v6, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof (*ss));
  if (a->family == 4 && !v6) {
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;

    s4->sin_family = AF_INET;
    memcpy (&s4->sin_addr, a->addr, 4);
    s4->sin_port = g_htons (a->port);
    return sizeof (*s4);
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
    guint8 *p = (guint8 *) &s6->sin6_addr;

    s6->sin6_family = AF_INET6;
    if (a->family == 4) {
      p[10] = p[11] = 0xff;
      memcpy (p + 12, a->addr, 4);
    } else {
      memcpy (p, a->addr, 16);
    }
    s6->sin6_port = g_htons (a->port);
    return sizeof (*s6);
  }
}

gboolean
rtmfp_address_from_gsocketaddress (GSocketAddress *sa, RtmfpAddress *a)
{
  struct sockaddr_storage ss;
  gssize len = g_socket_address_get_native_size (sa);

  if (len <= 0 || (gsize) len > sizeof (ss) ||
      !g_socket_address_to_native (sa, &ss, sizeof (ss), NULL))
    return FALSE;
  return address_from_sockaddr ((struct sockaddr *) &ss, len, a);
}

GSocketAddress *
rtmfp_address_to_gsocketaddress (const RtmfpAddress *a)
{
  struct sockaddr_storage ss;
  socklen_t len = address_to_sockaddr (a, a->family == 6, &ss);

  return g_socket_address_new_from_native (&ss, len);
}

/* ---- output -------------------------------------------------------------- */

static gboolean write_ready (GSocket *sock, GIOCondition cond, gpointer data);

static GSocket *
socket_for (RtmfpIo *io, const RtmfpAddress *to, gboolean *v6)
{
  if (to->family == 4 && io->sock4) {
    *v6 = FALSE;
    return io->sock4;
  }
  if (io->sock6 && (to->family == 6 || io->sock6_dual)) {
    *v6 = TRUE;
    return io->sock6;
  }
  return NULL;
}

/* FALSE when the socket is full: keep the datagram for later. */
static gboolean
send_one (RtmfpIo *io, GBytes *data, const RtmfpAddress *to)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  gboolean v6 = FALSE;
  GSocket *sock = socket_for (io, to, &v6);
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  gssize r;

  if (!sock) {
    g_mutex_lock (&io->stats_lock);
    io->stats.send_errors++;
    g_mutex_unlock (&io->stats_lock);
    return TRUE;
  }
  sl = address_to_sockaddr (to, v6, &ss);
  do {
    r = sendto (g_socket_get_fd (sock), p, len, 0, (struct sockaddr *) &ss, sl);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
    g_mutex_lock (&io->stats_lock);
    io->stats.send_blocked++;
    g_mutex_unlock (&io->stats_lock);
    if (!io->write_watch) {
      io->write_watch = g_socket_create_source (sock, G_IO_OUT, NULL);
      g_source_set_callback (
          io->write_watch, G_SOURCE_FUNC (write_ready), io, NULL);
      g_source_attach (io->write_watch, io->context);
    }
    return FALSE;
  }
  g_mutex_lock (&io->stats_lock);
  if (r < 0) {
    io->stats.send_errors++;
    GST_LOG ("sendto: %s", g_strerror (errno));
  } else {
    io->stats.datagrams_out++;
    io->stats.bytes_out += len;
  }
  g_mutex_unlock (&io->stats_lock);
  return TRUE;
}

static void
flush_out (RtmfpIo *io)
{
  guint64 now = rtmfp_io_now ();
  RtmfpAddress to;
  GBytes *d;

  if (io->write_watch)
    return;
  if (io->pending) {
    if (!send_one (io, io->pending, &io->pending_to))
      return;
    g_clear_pointer (&io->pending, g_bytes_unref);
  }
  while ((d = rtmfp_endpoint_pull_datagram (io->ep, now, &to))) {
    if (!send_one (io, d, &to)) {
      io->pending = d;
      io->pending_to = to;
      return;
    }
    g_bytes_unref (d);
  }
}

static gboolean
write_ready (GSocket *sock, GIOCondition cond, gpointer data)
{
  RtmfpIo *io = data;

  g_source_destroy (io->write_watch);
  g_source_unref (io->write_watch);
  io->write_watch = NULL;
  rtmfp_io_pump (io);
  return G_SOURCE_REMOVE;
}

/* ---- pumping ------------------------------------------------------------- */

static void
schedule (RtmfpIo *io)
{
  guint64 d = rtmfp_endpoint_next_deadline (io->ep);

  g_source_set_ready_time (io->timer, d == G_MAXUINT64 ? -1 : (gint64) d);
}

void
rtmfp_io_pump (RtmfpIo *io)
{
  RtmfpEvent ev;

  if (io->pumping) {
    io->repump = TRUE;
    return;
  }
  io->pumping = TRUE;
  do {
    io->repump = FALSE;
    while (rtmfp_endpoint_pop_event (io->ep, &ev)) {
      io->event_func (io, &ev, io->data);
      rtmfp_event_clear (&ev);
    }
    flush_out (io);
    if (!io->repump && io->pump_func && io->pump_func (io, io->data))
      io->repump = TRUE;
  } while (io->repump);
  schedule (io);
  io->pumping = FALSE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc cb, gpointer data)
{
  RtmfpIo *io = ((TimerSource *) source)->io;

  rtmfp_endpoint_advance (io->ep, rtmfp_io_now ());
  rtmfp_io_pump (io);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL,
  NULL };

static gboolean
read_ready (GSocket *sock, GIOCondition cond, gpointer data)
{
  RtmfpIo *io = data;
  gint fd = g_socket_get_fd (sock);

  for (guint n = 0; n < READ_BATCH; n++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof (ss);
    RtmfpAddress from;
    gssize r = recvfrom (
        fd, io->buf, sizeof (io->buf), 0, (struct sockaddr *) &ss, &sl);

    if (r < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (!address_from_sockaddr ((struct sockaddr *) &ss, sl, &from))
      continue;
    g_mutex_lock (&io->stats_lock);
    io->stats.datagrams_in++;
    io->stats.bytes_in += r;
    g_mutex_unlock (&io->stats_lock);
    /* MonaTiny sends empty datagrams to itself: nothing to do */
    if (r > 0)
      rtmfp_endpoint_receive (io->ep, rtmfp_io_now (), &from, io->buf, r);
  }
  rtmfp_io_pump (io);
  return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---------------------------------------------------------- */

RtmfpIo *
rtmfp_io_new (const RtmfpConfig *config, RtmfpIoEventFunc event_func,
    RtmfpIoPumpFunc pump_func, gpointer data, GError **error)
{
  RtmfpEndpoint *ep;
  RtmfpIo *io;

  debug_init ();
  ep = rtmfp_endpoint_new (config, rtmfp_io_now (), error);
  if (!ep)
    return NULL;
  io = g_new0 (RtmfpIo, 1);
  io->ep = ep;
  io->event_func = event_func;
  io->pump_func = pump_func;
  io->data = data;
  io->context = g_main_context_new ();
  io->loop = g_main_loop_new (io->context, FALSE);
  g_mutex_init (&io->stats_lock);
  io->timer = g_source_new (&timer_funcs, sizeof (TimerSource));
  ((TimerSource *) io->timer)->io = io;
  g_source_set_name (io->timer, "rtmfp-timer");
  g_source_attach (io->timer, io->context);
  return io;
}

static void
set_buffers (GSocket *sock)
{
  gint fd = g_socket_get_fd (sock);
  gint size = SOCKET_BUFFER;

#ifdef SO_RCVBUFFORCE
  /* root may go past net.core.rmem_max */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof (size)) < 0)
#endif
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
#ifdef SO_SNDBUFFORCE
  if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof (size)) < 0)
#endif
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
}

static GSocket *
bind_one (GInetAddress *ia, guint16 port, gboolean v6only, GError **error)
{
  GSocketFamily family = g_inet_address_get_family (ia);
  GSocket *sock;
  GSocketAddress *sa;

  sock = g_socket_new (
      family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (!sock)
    return NULL;
  g_socket_set_blocking (sock, FALSE);
  if (family == G_SOCKET_FAMILY_IPV6) {
    gint v = v6only ? 1 : 0;

    setsockopt (
        g_socket_get_fd (sock), IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof (v));
  }
  set_buffers (sock);
  sa = g_inet_socket_address_new (ia, port);
  if (!g_socket_bind (sock, sa, FALSE, error)) {
    g_object_unref (sa);
    g_object_unref (sock);
    return NULL;
  }
  g_object_unref (sa);
  return sock;
}

static void
add_socket (RtmfpIo *io, GSocket *sock)
{
  GSource *s = g_socket_create_source (sock, G_IO_IN, NULL);

  g_source_set_callback (s, G_SOURCE_FUNC (read_ready), io, NULL);
  /* as in rtmpeconnection.c: no wakeup of our own context per dispatch */
  g_source_set_can_recurse (s, TRUE);
  g_source_attach (s, io->context);
  if (g_socket_get_family (sock) == G_SOCKET_FAMILY_IPV4) {
    io->sock4 = sock;
    io->read4 = s;
  } else {
    io->sock6 = sock;
    io->read6 = s;
  }
}

gboolean
rtmfp_io_bind (RtmfpIo *io, const gchar *host, guint16 port, GError **error)
{
  GInetAddress *ia;
  GSocket *sock;

  if (!host) {
    ia = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
    sock = bind_one (ia, port, FALSE, error);
    g_object_unref (ia);
    if (!sock)
      return FALSE;
    add_socket (io, sock);
    /* IPv6 too, when the machine has it */
    ia = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
    sock = bind_one (ia, port ? port : rtmfp_io_get_port (io, 4), TRUE, NULL);
    if (!sock && !port)
      sock = bind_one (ia, 0, TRUE, NULL);
    g_object_unref (ia);
    if (sock)
      add_socket (io, sock);
    return TRUE;
  }

  ia = g_inet_address_new_from_string (host);
  if (!ia) {
    GResolver *r = g_resolver_get_default ();
    GList *list = g_resolver_lookup_by_name (r, host, NULL, error);

    g_object_unref (r);
    if (!list)
      return FALSE;
    ia = g_object_ref (list->data);
    g_resolver_free_addresses (list);
  }
  /* "::" listens for IPv4 too */
  sock = bind_one (ia, port, !g_inet_address_get_is_any (ia), error);
  if (sock && g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6)
    io->sock6_dual = g_inet_address_get_is_any (ia);
  g_object_unref (ia);
  if (!sock)
    return FALSE;
  add_socket (io, sock);
  return TRUE;
}

guint16
rtmfp_io_get_port (RtmfpIo *io, guint family)
{
  GSocket *sock = family == 6 ? io->sock6 : io->sock4;
  GSocketAddress *sa;
  guint16 port;

  if (!sock)
    return 0;
  sa = g_socket_get_local_address (sock, NULL);
  if (!sa)
    return 0;
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
  g_object_unref (sa);
  return port;
}

static gpointer
thread_func (gpointer data)
{
  RtmfpIo *io = data;

  g_main_context_push_thread_default (io->context);
  g_main_loop_run (io->loop);
  g_main_context_pop_thread_default (io->context);
  return NULL;
}

void
rtmfp_io_start (RtmfpIo *io)
{
  g_return_if_fail (io->thread == NULL);
  io->thread = g_thread_new ("rtmfp-io", thread_func, io);
}

typedef struct
{
  RtmfpIo *io;
  GSourceFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Invoke;

static gboolean
invoke_cb (gpointer p)
{
  Invoke *inv = p;

  inv->func (inv->data);
  rtmfp_io_pump (inv->io);
  return G_SOURCE_REMOVE;
}

static void
invoke_free (gpointer p)
{
  Invoke *inv = p;

  if (inv->destroy)
    inv->destroy (inv->data);
  g_free (inv);
}

void
rtmfp_io_invoke (
    RtmfpIo *io, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  Invoke *inv = g_new0 (Invoke, 1);
  GSource *s = g_idle_source_new ();

  inv->io = io;
  inv->func = func;
  inv->data = data;
  inv->destroy = destroy;
  g_source_set_priority (s, G_PRIORITY_DEFAULT);
  g_source_set_callback (s, invoke_cb, inv, invoke_free);
  g_source_attach (s, io->context);
  g_source_unref (s);
}

GMainContext *
rtmfp_io_get_context (RtmfpIo *io)
{
  return io->context;
}

RtmfpEndpoint *
rtmfp_io_get_endpoint (RtmfpIo *io)
{
  return io->ep;
}

void
rtmfp_io_get_stats (RtmfpIo *io, RtmfpIoStats *stats)
{
  g_mutex_lock (&io->stats_lock);
  *stats = io->stats;
  g_mutex_unlock (&io->stats_lock);
}

static gboolean
quit_cb (gpointer data)
{
  RtmfpIo *io = data;

  g_main_loop_quit (io->loop);
  return G_SOURCE_REMOVE;
}

static void
destroy_source (GSource **s)
{
  if (*s) {
    g_source_destroy (*s);
    g_source_unref (*s);
    *s = NULL;
  }
}

void
rtmfp_io_free (RtmfpIo *io)
{
  if (!io)
    return;
  if (io->thread) {
    GSource *s = g_idle_source_new ();

    g_source_set_priority (s, G_PRIORITY_HIGH);
    g_source_set_callback (s, quit_cb, io, NULL);
    g_source_attach (s, io->context);
    g_source_unref (s);
    g_thread_join (io->thread);
  }
  destroy_source (&io->read4);
  destroy_source (&io->read6);
  destroy_source (&io->write_watch);
  destroy_source (&io->timer);
  /* sources not run yet (invokes) free their data */
  g_main_loop_unref (io->loop);
  g_main_context_unref (io->context);
  g_clear_object (&io->sock4);
  g_clear_object (&io->sock6);
  g_clear_pointer (&io->pending, g_bytes_unref);
  rtmfp_endpoint_free (io->ep);
  g_mutex_clear (&io->stats_lock);
  g_free (io);
}
