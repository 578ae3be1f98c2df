// The reader's journey with JavaScript on, as most readers have it.
import { defineJourney } from '../lib/journey.mjs';

await defineJourney({ js: true });
