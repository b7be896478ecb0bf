/* layer_check.c: the empty program runtimes/CMakeLists.txt links each
 * library into, whole, with only the libraries below it: an undefined
 * symbol there is a call up the layers. */
int main(void) { return 0; }
