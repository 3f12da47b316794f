/* hello.c: smallest useful Windows program, used to time a Wine start with and without the sandbox. */
#include <stdio.h>

int main(void)
{
    puts("hello from Windows");
    return 0;
}
