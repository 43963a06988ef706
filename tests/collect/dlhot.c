/* dlhot LIB SECONDS: loads LIB with dlopen and at once burns SECONDS of CPU in its lib_hot, from
 * main; for the CPU profile's check that code loaded by dlopen is walked from the first sample. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dlhot LIB SECONDS\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW);
    void (*hot)(double) = h ? (void (*)(double))dlsym(h, "lib_hot") : NULL;
    if (!hot) {
        fprintf(stderr, "dlhot: %s\n", dlerror());
        return 1;
    }
    hot(atof(argv[2]));
    puts("done");
    return 0;
}
