/* gst-rtmpe: the core's error domain
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmperror.h"

G_DEFINE_QUARK (rtmp - error - quark, rtmp_error)
