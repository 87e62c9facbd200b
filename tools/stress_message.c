/* stress_message.c - test message pattern. */
#include "stress_message.h"

void stress_fill_pattern(uint8_t *payload, size_t len, unsigned thread, unsigned message)
{
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)((i ^ thread ^ message) & 0xFF);
}

long stress_first_mismatch(const uint8_t *want, const uint8_t *got, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (want[i] != got[i])
			return (long)i;
	return -1;
}
