/* gst-rtmpe: RTMP messages → FLV buffers, caps and timestamps for a src
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Holds the first messages of a stream until it knows which of audio and
 * video are present (metadata, codec configuration, or the first frames),
 * then makes caps (video/x-flv with a streamheader: the FLV header with the
 * right flags, onMetaData, the codec configuration tags) and returns one
 * buffer per tag after them.
 *
 * Timestamps: the tag timestamps and the buffers' DTS/PTS form one live
 * timeline in milliseconds: the first message lands on the running time
 * given to flv_out_push(), the next ones keep their distance
 * from it (unwrapped past 2^32 ms), and after a discontinuity (a
 * reconnection) the timeline continues from the running time of the first
 * message that follows, never going back. PTS = DTS + composition time;
 * non-key video frames are DELTA_UNIT.
 */
#ifndef __FLV_OUT_H__
#define __FLV_OUT_H__

#include <gst/gst.h>

#include "rtmpmessage.h"

G_BEGIN_DECLS

typedef struct _FlvOut FlvOut;

FlvOut *flv_out_new (void);
void flv_out_free (FlvOut *o);

/* The next message is not continuous with the previous ones. */
void flv_out_discont (FlvOut *o);

/* Takes @msg (audio, video or data). @running_time_ms anchors the timeline
 * when this message starts one (the first, or the first after a
 * discontinuity). Buffers ready to push are appended to @out (a
 * GstBufferList, may be left empty); FALSE and @error for a message that is
 * not media (logged, dropped by the caller). */
gboolean flv_out_push (FlvOut *o, RtmpMessage *msg, guint64 running_time_ms,
    GstBufferList *out, GError **error);

/* End of stream: whatever is still held goes out (after caps). */
void flv_out_flush (FlvOut *o, GstBufferList *out);

/* (transfer full) (nullable): new caps to set before pushing what was
 * returned, once per change. */
GstCaps *flv_out_take_caps (FlvOut *o);

gboolean flv_out_has_audio (FlvOut *o);
gboolean flv_out_has_video (FlvOut *o);

G_END_DECLS

#endif
