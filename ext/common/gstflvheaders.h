/* gst-rtmpe: the headers of a published FLV stream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Metadata (onMetaData / @setDataFrame) and the audio and video codec
 * configuration: what a server or a player must have before the frames,
 * learnt from the caps' streamheader or from the stream itself, and sent
 * again only when they change.
 */
#ifndef __GST_FLV_HEADERS_H__
#define __GST_FLV_HEADERS_H__

#include <gst/gst.h>

#include "rtmpmessage.h"

G_BEGIN_DECLS

enum
{
  GST_FLV_HEADER_META,
  GST_FLV_HEADER_AUDIO,
  GST_FLV_HEADER_VIDEO,
  GST_FLV_N_HEADERS
};

typedef struct
{
  RtmpMessage *msg[GST_FLV_N_HEADERS];
  gboolean sent[GST_FLV_N_HEADERS];
} GstFlvHeaders;

void gst_flv_headers_clear (GstFlvHeaders *h);
/* The slot a message belongs to (GST_FLV_HEADER_*), or -1: not a header. */
gint gst_flv_headers_slot (const RtmpMessage *msg);
/* Keeps a copy of @msg in @slot. FALSE when it is the one already sent
 * (nothing to do). */
gboolean gst_flv_headers_store (
    GstFlvHeaders *h, gint slot, const RtmpMessage *msg);
/* (transfer container) the headers known, in slot order. */
GPtrArray *gst_flv_headers_list (GstFlvHeaders *h);
/* Learns the headers of a streamheader in @caps (those not known yet).
 * TRUE when it learnt any. */
gboolean gst_flv_headers_from_caps (GstFlvHeaders *h, GstCaps *caps);

G_END_DECLS

#endif
