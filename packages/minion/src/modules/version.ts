/** The Brine version this minion reports (`test.version`, the `brine_version` grain). */
export const BRINE_VERSION = '0.1.0';
