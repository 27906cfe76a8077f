#include <stdio.h>
int main(void) { puts("iam-audit " IA_VERSION); return 0; }
