/* true.c: Linux program that only exits with 0, used to time process start inside the sandbox. */
int main(void){return 0;}
