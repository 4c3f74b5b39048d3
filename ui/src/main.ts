import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { clock } from './lib/stores/clock.svelte';
import { router } from './lib/router.svelte';
import { app } from './lib/stores/app.svelte';

// The bootstrap reads (and hides) `#token=…` before the router looks at the fragment.
const started = app.start();
void started.then(() => router.start());
clock.start();

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
export default mount(App, { target });
