/* gst-rtmpe: the MODP Diffie-Hellman groups RTMPE and RTMFP use
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_DH_GROUPS_H__
#define __RTMP_DH_GROUPS_H__

#include <glib.h>

G_BEGIN_DECLS

#define RTMP_DH_GENERATOR 2

/* Looks up MODP group 2 (1024 bits), 5 (1536), 14 (2048) or 16 (4096).
 * Returns FALSE for any other group id. */
gboolean rtmp_dh_group_get (
    guint group_id, const guint8 **prime, gsize *prime_len);

G_END_DECLS

#endif
