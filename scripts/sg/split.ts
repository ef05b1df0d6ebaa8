/**
 * The honest split for building and measuring the default SG set (docs/strategic-grams.md).
 * Only one labelled model exists in the shared data (DeepSeek-R1-Distill-Llama-8B, 10 MATH
 * problems, a correct and an incorrect solution each). The set is mined from Qwen traces and from
 * the BUILD problems' labelled sentences; its quality is reported on the HELD-OUT problems, which
 * no build step reads.
 */
export const LABELLED_MODEL = 'deepseek-r1-distill-llama-8b'
export const BUILD_PROBLEMS = [330, 1591, 2189, 2236, 2238] as const
export const HELD_OUT_PROBLEMS = [3448, 4164, 4682, 6596, 6998] as const
