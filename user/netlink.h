/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_NETLINK_H
#define WS_NETLINK_H

#include <stdint.h>

/* Filters of any owner on clsact ingress (egress=0) or egress (1). */
int nl_tc_filter_count(int ifindex, int egress);

#endif
