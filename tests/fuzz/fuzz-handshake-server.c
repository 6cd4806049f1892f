/* gst-rtmpe: fuzz the server side of the handshake with a client's bytes
 * (C0, C1, C2 and whatever follows)
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
  static const guint accepts[] = { RTMP_HANDSHAKE_ACCEPT_ALL,
    RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE };
  for (guint i = 0; i < G_N_ELEMENTS (accepts); i++) {
    for (gsize chunk = 0; chunk <= 700; chunk += 700) {
      RtmpHandshake *hs =
          rtmp_handshake_new_server (accepts[i], 0, &fake_crypto);

      if (i == 1)
        rtmp_handshake_set_rtmpe_answer (hs, RTMP_HANDSHAKE_TYPE_RTMPE_XTEA);
      fuzz_push (hs, data, size, chunk);
      rtmp_handshake_free (hs);
    }
  }
  return 0;
}
