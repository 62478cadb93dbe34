#include "netproto.h"

#include <arpa/inet.h>
#include <string.h>

#include "params.h"

int ib_net_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[32];
	const char *colon = s ? strrchr(s, ':') : NULL;
	uint64_t port;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host) ||
	    ib_parse_count(colon + 1, &port) < 0 || port > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}
