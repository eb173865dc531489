# SPDX-License-Identifier: MIT
# plot.gp - fanout-bench: p50 and context switches per fan-out against N.
# Called by collect.sh with datafile, keys (row keys, one per data block)
# and outfile set.
set terminal svg size 1100,480 dynamic font "sans,11"
set output outfile
set datafile commentschars "#"
set logscale xy
set grid
set xlabel "agents N"
set key outside bottom center horizontal maxrows 4 font "sans,9"
set multiplot layout 1,2 title "fanout-bench (64-byte payloads, one guest boot)"
set ylabel "p50 per fan-out (us)"
plot for [i=1:words(keys)] datafile index (i-1) using 1:2 \
	with linespoints title word(keys, i)
set ylabel "voluntary context switches per fan-out"
plot for [i=1:words(keys)] datafile index (i-1) using 1:($3 > 0 ? $3 : NaN) \
	with linespoints title word(keys, i)
unset multiplot
