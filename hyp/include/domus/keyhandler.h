/* SPDX-License-Identifier: MIT */
/* Debug keys on Domus' console (hyp/core/keyhandler.c). */
#ifndef DOMUS_KEYHANDLER_H
#define DOMUS_KEYHANDLER_H

#include <domus/types.h>

/* A key typed to Domus' own console: runs its debug dump, or lists the keys. */
void keyhandler_key(char key);

#endif
