/* cidr.h — IP addresses and address ranges in CIDR notation ("10.0.0.0/8",
 * "::1"), to decide whether a peer is one we trust (a reverse proxy).
 *
 * IPv4 and IPv6; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4
 * address it maps, so a proxy is matched however the socket reports it. */
#ifndef CHORUS_CIDR_H
#define CHORUS_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum { CIDR_ADDR_TEXT = 46 }; /* INET6_ADDRSTRLEN */

typedef struct cidr_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char bytes[16];
} cidr_addr;

typedef struct cidr_range {
	cidr_addr addr;
	int prefix; /* leading bits that must match */
} cidr_range;

typedef struct cidr_list {
	cidr_range *ranges; /* malloc'd; cidr_list_free */
	size_t n;
} cidr_list;

/* Parse one address (no prefix, no port, no brackets), surrounding
 * spaces allowed. False when text is not an address. */
bool cidr_addr_parse(const char *text, size_t len, cidr_addr *out);
/* The address of a socket peer; false for families other than IPv4/6. */
bool cidr_addr_from_sockaddr(const struct sockaddr *sa, cidr_addr *out);
/* Write a's text form into out (at least CIDR_ADDR_TEXT bytes). */
void cidr_addr_format(const cidr_addr *a, char *out);

/* Parse a comma-separated list of addresses and ranges, blanks around
 * entries and empty entries ignored ("127.0.0.1, 10.0.0.0/8, ::1"; the
 * syntax of [metrics] allow), into *out, which the caller frees with
 * cidr_list_free. An empty text is an empty list. Returns 0, or -1 on an
 * entry that is no address or range (then *out is empty and, when bad is
 * not NULL, *bad points at that entry in text) or out of memory. */
int cidr_list_parse(const char *text, cidr_list *out, const char **bad);
void cidr_list_free(cidr_list *l);
/* Whether a lies in one of l's ranges (NULL or empty l: never). */
bool cidr_list_contains(const cidr_list *l, const cidr_addr *a);

#endif
