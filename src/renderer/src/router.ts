import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'

export const sections = [
  { path: '/runs', name: 'runs', label: 'Runs' },
  { path: '/compare', name: 'compare', label: 'Compare' },
  { path: '/grams', name: 'grams', label: 'Strategic Grams' },
  { path: '/errors', name: 'errors', label: 'Errors' },
  { path: '/train', name: 'train', label: 'Train' },
  { path: '/experiments', name: 'experiments', label: 'Experiments' },
  { path: '/settings', name: 'settings', label: 'Settings' }
] as const

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/runs' },
  { path: '/runs', name: 'runs', component: () => import('./views/RunsView.vue') },
  { path: '/runs/:id', name: 'run', component: () => import('./views/RunView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/runs/:id/rollouts', name: 'rollouts', component: () => import('./views/RolloutsView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/compare', name: 'compare', component: () => import('./views/CompareView.vue') },
  { path: '/grams', name: 'grams', component: () => import('./views/GramsView.vue') },
  { path: '/errors', name: 'errors', component: () => import('./views/ErrorsView.vue') },
  { path: '/train', name: 'train', component: () => import('./views/TrainView.vue') },
  { path: '/experiments', name: 'experiments', component: () => import('./views/ExperimentsView.vue') },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/runs' }
]

// Hash history works both from file:// in Electron and from `hicra serve`.
export const router = createRouter({ history: createWebHashHistory(), routes })
