/* placeholder until the analyser lands */
int ia_analyser_placeholder(void);
int ia_analyser_placeholder(void) { return 0; }
