# Scale-out: a study run by `mpirun -n 2 spinxbar sweep` gives the same results.csv, seeds.csv,
# study.json and figure data, byte for byte, as one process; run again, it finds nothing to do; bad
# input exits 2 with the one line from rank 0.
# Run by CTest as: cmake -DSPINXBAR=... -DMPIEXEC=... -DSRC=... -DWORK=... -P test_mpi.cmake
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
# OpenMPI refuses root unless told (CI machines run as root); --oversubscribe: more ranks than cores is fine.
set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
set(mpi ${MPIEXEC} -n 2 --oversubscribe)
file(WRITE ${WORK}/study.toml "[study]\nconfig = \"${SRC}/examples/small/small.toml\"\n"
     "set = [\"synapse.variation=gaussian\", \"synapse.variation_percent=10\", \"run.threads=1\"]\nseeds = 3\nimages = 6\n"
     "[[axis]]\nkey = \"interconnect.resistance_scale\"\nname = \"r\"\nvalues = [1, 50, 200]\n")
execute_process(COMMAND ${SPINXBAR} sweep ${WORK}/study.toml --out ${WORK}/one RESULT_VARIABLE rc1 OUTPUT_QUIET)
execute_process(COMMAND ${mpi} ${SPINXBAR} sweep ${WORK}/study.toml --out ${WORK}/two RESULT_VARIABLE rc2
                OUTPUT_VARIABLE out2 ERROR_VARIABLE err2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "sweep: exit ${rc1} (one process), ${rc2} (mpirun -n 2): ${err2}")
endif()
string(FIND "${out2}" "9 runs (9 now, 0 failed, 2 processes)" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "mpirun -n 2: unexpected report: ${out2}")
endif()
foreach(f results.csv seeds.csv study.json pareto.dat accuracy_r.dat energy_parts.dat)
  file(READ ${WORK}/one/${f} a)
  file(READ ${WORK}/two/${f} b)
  if(NOT a STREQUAL b OR a STREQUAL "")
    message(FATAL_ERROR "${f} differs between one process and mpirun -n 2 (or is empty)")
  endif()
endforeach()
execute_process(COMMAND ${mpi} ${SPINXBAR} sweep ${WORK}/study.toml --out ${WORK}/two RESULT_VARIABLE rc3 OUTPUT_VARIABLE out3)
string(FIND "${out3}" "9 runs (0 now" pos)
if(NOT rc3 EQUAL 0 OR pos EQUAL -1)
  message(FATAL_ERROR "mpirun again: exit ${rc3}, ${out3}")
endif()
file(WRITE ${WORK}/bad.toml "[study]\nconfig = \"${SRC}/examples/small/small.toml\"\nseeds = 0\n")
execute_process(COMMAND ${mpi} ${SPINXBAR} sweep ${WORK}/bad.toml --out ${WORK}/bad RESULT_VARIABLE rc4 ERROR_VARIABLE err4)
string(REGEX MATCHALL "spinxbar: [^\n]*" lines "${err4}")
list(LENGTH lines n)
if(rc4 EQUAL 0 OR NOT n EQUAL 1 OR EXISTS ${WORK}/bad)
  message(FATAL_ERROR "mpirun with a bad study: exit ${rc4}, ${n} error lines: ${err4}")
endif()
