# Accuracy of the quantized SC-MLPs against the bitstream length (spinxbar sc-table): mean and std over
# device seeds, from table.csv. Restyle and rerun: gnuplot accuracy.gp
$curve0 << EOD
100 96.39666666666668 0.07234178138070077
200 96.85666666666667 0.05507570547285865
300 96.71666666666667 0.07371114795831811
400 96.89000000000001 0.0435889894354083
500 96.96666666666665 0.03214550253663964
EOD
$curve1 << EOD
100 96.53666666666668 0.049328828623163415
200 96.52 0.055677643628300064
300 96.51666666666668 0.030550504633041625
400 96.55333333333334 0.015275252316517786
500 96.47333333333333 0.03511884584283859
EOD
$curve2 << EOD
100 96.90666666666667 0.041633319989322515
200 96.91000000000001 0.02000000000000335
300 96.90333333333334 0.040414518843274384
400 96.91333333333333 0.037859388972004006
500 96.91666666666667 0.02516611478423821
EOD
$curve3 << EOD
100 96.79333333333334 0.04725815626252519
200 96.86 0.0435889894354083
300 96.87666666666667 0.08504900548115556
400 96.86666666666667 0.0602771377334215
500 96.88666666666667 0.011547005383791244
EOD
$curve4 << EOD
100 96.99666666666667 0.0665832811847927
200 97.05666666666667 0.005773502691895622
300 97.27 0.09643650760992929
400 97.10333333333332 0.040414518843274384
500 97.18666666666667 0.03214550253663964
EOD
$curve5 << EOD
100 96.59 0.17088007490634868
200 96.61666666666667 0.0611010092660772
300 96.59 0.0655743852430187
400 96.62 0.055677643628300064
500 96.59333333333335 0.07234178138070717
EOD
$curve6 << EOD
100 97.25999999999999 0.0458257569495582
200 97.27666666666667 0.050332229568472005
300 97.27333333333334 0.0808290376865497
400 97.24000000000001 0
500 97.23333333333332 0.02516611478423821
EOD
$curve7 << EOD
100 96.59333333333335 0.07371114795832236
200 96.65333333333334 0.07023769168568299
300 96.73666666666666 0.011547005383791244
400 96.65333333333334 0.05507570547286033
500 96.69666666666666 0.037859388972004006
EOD
set key bottom right
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set xlabel 'bitstream length L (clocks)'
set ylabel 'test accuracy (%)'
set terminal pngcairo size 1120,480 font ',10'
set output 'accuracy.png'
set multiplot layout 1,2
set title '784-256-10 (1 hidden)'
plot $curve0 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 1 pt 7 ps 0.6 title '5 states, with SC', \
     $curve1 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 2 pt 7 ps 0.6 title '5 states, without SC', \
     $curve2 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 1 pt 7 ps 0.6 title '11 states, with SC', \
     $curve3 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 2 pt 7 ps 0.6 title '11 states, without SC'
set title '784-256-128-64-10 (3 hidden)'
plot $curve4 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 1 pt 7 ps 0.6 title '5 states, with SC', \
     $curve5 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 2 pt 7 ps 0.6 title '5 states, without SC', \
     $curve6 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 1 pt 7 ps 0.6 title '11 states, with SC', \
     $curve7 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 2 pt 7 ps 0.6 title '11 states, without SC'
unset multiplot
set terminal svg size 1120,480 font ',10'
set output 'accuracy.svg'
set multiplot layout 1,2
set title '784-256-10 (1 hidden)'
plot $curve0 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 1 pt 7 ps 0.6 title '5 states, with SC', \
     $curve1 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 2 pt 7 ps 0.6 title '5 states, without SC', \
     $curve2 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 1 pt 7 ps 0.6 title '11 states, with SC', \
     $curve3 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 2 pt 7 ps 0.6 title '11 states, without SC'
set title '784-256-128-64-10 (3 hidden)'
plot $curve4 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 1 pt 7 ps 0.6 title '5 states, with SC', \
     $curve5 using 1:2:3 with yerrorlines lc rgb '#1b9e77' dt 2 pt 7 ps 0.6 title '5 states, without SC', \
     $curve6 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 1 pt 7 ps 0.6 title '11 states, with SC', \
     $curve7 using 1:2:3 with yerrorlines lc rgb '#d95f02' dt 2 pt 7 ps 0.6 title '11 states, without SC'
unset multiplot
