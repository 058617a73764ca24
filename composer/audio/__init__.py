"""FluidSynth: soundfonts, offline rendering, real-time playback and audition."""
