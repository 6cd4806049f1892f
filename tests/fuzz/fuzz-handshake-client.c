/* gst-rtmpe: fuzz the client side of the handshake with a server's bytes
 * (S0, S1, S2 and whatever follows), for a simple, a digest and an RTMPE
 * client
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fuzz-handshake-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const struct
  {
    RtmpHandshakeType type;
    gboolean digest;
  } clients[] = {
    { RTMP_HANDSHAKE_TYPE_PLAIN, FALSE },
    { RTMP_HANDSHAKE_TYPE_PLAIN, TRUE },
    { RTMP_HANDSHAKE_TYPE_RTMPE, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++) {
    for (gsize chunk = 0; chunk <= 700; chunk += 700) {
      RtmpHandshake *hs = rtmp_handshake_new_client (
          clients[i].type, clients[i].digest, 0, &fake_crypto);
      GByteArray *c0c1 = g_byte_array_new ();

      if (rtmp_handshake_get_initial (hs, c0c1, NULL))
        fuzz_push (hs, data, size, chunk);
      g_byte_array_free (c0c1, TRUE);
      rtmp_handshake_free (hs);
    }
  }
  return 0;
}
