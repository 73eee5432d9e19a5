/** The data sets of the FL experiments live in the simulator (researchers run them there); tests reuse them. */
export * from '@edgefleet/simulator';
