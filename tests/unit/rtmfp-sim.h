/* gst-rtmfp tests: a deterministic simulated network for RtmfpEndpoints
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each node is an endpoint at 10.0.0.N:1935. What a node sends goes
 * through its egress link: a rate (serialization), a drop-tail queue, a
 * propagation delay, then random loss, reordering (extra delay) and
 * duplication drawn from one seeded generator. Time is simulated.
 */
#ifndef __RTMFP_SIM_H__
#define __RTMFP_SIM_H__

#include "rtmfp.h"

typedef struct _RtmfpSim RtmfpSim;

typedef struct
{
  double loss; /* probability a datagram is lost */
  double reorder; /* probability it is delayed by up to reorder_delay */
  guint64 reorder_delay;
  double duplicate; /* probability it arrives twice */
  guint64 delay; /* one-way propagation, us */
  guint64 rate; /* bytes per second; 0: infinite */
  gsize queue; /* bytes the egress queue holds */
} RtmfpLink;

typedef void (*RtmfpSimEventFunc) (
    RtmfpSim *sim, guint node, RtmfpEvent *ev, gpointer user_data);

/* A crypto adapter wrapping OpenSSL's, with random bytes and private keys
 * from a seeded generator, so that every run is the same. */
const RtmpCryptoAdapter *rtmfp_sim_crypto (guint32 seed);

RtmfpSim *rtmfp_sim_new (guint32 seed);
void rtmfp_sim_free (RtmfpSim *sim);
/* Adds a node; returns its index. @link describes what it sends. */
guint rtmfp_sim_add_node (
    RtmfpSim *sim, RtmfpConfig *config, const RtmfpLink *link);
RtmfpEndpoint *rtmfp_sim_endpoint (RtmfpSim *sim, guint node);
void rtmfp_sim_address (RtmfpSim *sim, guint node, RtmfpAddress *a);
guint64 rtmfp_sim_now (RtmfpSim *sim);
void rtmfp_sim_set_event_func (
    RtmfpSim *sim, RtmfpSimEventFunc func, gpointer user_data);
/* Called after every step (to queue more data). */
void rtmfp_sim_set_step_func (
    RtmfpSim *sim, void (*func) (RtmfpSim *, gpointer), gpointer user_data);
/* The step function asks to run again at @t (simulated). */
void rtmfp_sim_wake_at (RtmfpSim *sim, guint64 t);
/* Runs until @done returns TRUE or @until (simulated) is reached; returns
 * the result of the last @done call. */
gboolean rtmfp_sim_run (RtmfpSim *sim, guint64 until,
    gboolean (*done) (RtmfpSim *, gpointer), gpointer user_data);

typedef struct
{
  guint64 sent, delivered, lost, queue_drops, duplicated, reordered;
} RtmfpSimStats;
const RtmfpSimStats *rtmfp_sim_stats (RtmfpSim *sim);

#endif
