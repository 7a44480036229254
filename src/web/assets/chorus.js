/* chorus.js — progressive enhancement for chorus pages. Every page works
 * without it. */
"use strict";
