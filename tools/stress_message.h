/* stress_message.h - the byte pattern of a test message and its verification. */
#ifndef X25STRESS_MESSAGE_H
#define X25STRESS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fill len payload bytes: byte i is (i ^ thread ^ message) & 0xFF (goxot's pattern, with
 * goxot's per-call counter as message: with one message per call they are the same).
 */
void stress_fill_pattern(uint8_t *payload, size_t len, unsigned thread, unsigned message);

/* Offset of the first byte where got differs from want, or -1 if the len bytes agree. */
long stress_first_mismatch(const uint8_t *want, const uint8_t *got, size_t len);

#endif
