#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t sz=(size_t)256<<20; int mode=atoi(argv[1]);
  for(int rep=0;rep<3;rep++){
  char*p=mmap(0,sz,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  double t0=now();
  if(mode==1){ for(size_t o=0;o<sz;o+=(size_t)128<<10) if(madvise(p+o,(size_t)128<<10,MADV_POPULATE_WRITE)) {perror("madvise");return 1;} }
  if(mode==2) madvise(p,sz,MADV_HUGEPAGE);
  for(size_t i=0;i<sz;i+=4096)p[i]=1;
  double t1=now();
  printf("mode %d: %.1f ns per 4K page\n",mode,(t1-t0)*1e9/(sz/4096));
  munmap(p,sz);}
}
