/* placeholder until the reports land */
int ia_reports_placeholder(void);
int ia_reports_placeholder(void) { return 0; }
