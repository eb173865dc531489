/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanout: what differs between the kernels we build for (6.1 and 6.12).
 * The FANOUT_HAVE_* macros come from feature probes in Kbuild, never
 * from version numbers.
 */
#ifndef _FANOUT_COMPAT_H
#define _FANOUT_COMPAT_H

#include <linux/timer.h>

/* 6.2 added timer_shutdown_sync(); before it, del_timer_sync() does. */
#ifndef FANOUT_HAVE_TIMER_SHUTDOWN
#define timer_shutdown_sync(timer) del_timer_sync(timer)
#endif

#endif /* _FANOUT_COMPAT_H */
