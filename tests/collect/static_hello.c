/* static_hello -- linked statically (the Makefile builds static_*.c with -static): LD_PRELOAD
 * has no effect on it, and it must run as it does without. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(100 + (size_t)i);
        if (!p)
            return 2;
        memset(p, i & 0xff, 100 + (size_t)i);
        sum += (unsigned char)p[99];
        free(p);
    }
    printf("static hello %lu\n", sum);
    return 0;
}
