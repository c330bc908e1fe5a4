/* SPDX-License-Identifier: MIT */
/* Numbers in text: the hypervisor's command line (dom0_mem=512M). */
#include <domus/errno.h>
#include <domus/parse.h>

int parse_size(const char *s, size_t len, u64 *out)
{
	u64 v = 0, base = 10;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		char c = s[i];
		u64 digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			break;
		if (v > (~0ULL - digit) / base)
			return -ERANGE;
		v = v * base + digit;
	}
	if (i < len) {
		unsigned int shift;

		switch (s[i]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return -EINVAL;
		}
		if (i + 1 != len && !(i + 2 == len && (s[i + 1] == 'B' || s[i + 1] == 'b')))
			return -EINVAL;
		if (v > (~0ULL >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}
