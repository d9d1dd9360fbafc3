import type { Routes } from '@angular/router';

import { authGuard } from './core/auth-guard';

export const routes: Routes = [
  {
    path: 'login',
    title: 'Sign in',
    loadComponent: () => import('./pages/login/login').then((m) => m.Login),
  },
  {
    path: '',
    loadComponent: () => import('./shell/shell').then((m) => m.Shell),
    canActivate: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
      {
        path: 'dashboard',
        title: 'Dashboard',
        loadComponent: () => import('./pages/dashboard/dashboard').then((m) => m.DashboardPage),
      },
      {
        path: 'jobs',
        title: 'Jobs',
        loadComponent: () => import('./pages/jobs/jobs-list').then((m) => m.JobsList),
      },
      {
        path: 'jobs/:id',
        title: 'Job',
        loadComponent: () => import('./pages/jobs/job-detail').then((m) => m.JobDetailPage),
      },
      {
        path: 'locksmiths',
        title: 'Locksmiths',
        loadComponent: () => import('./pages/locksmiths/locksmiths').then((m) => m.LocksmithsPage),
      },
      {
        path: 'messages',
        title: 'Messages',
        loadComponent: () => import('./pages/messages/messages').then((m) => m.MessagesPage),
      },
      {
        path: 'sessions',
        title: 'Sessions',
        loadComponent: () => import('./pages/sessions/sessions').then((m) => m.SessionsPage),
      },
      {
        path: 'leads',
        title: 'Leads',
        loadComponent: () => import('./pages/leads/leads-list').then((m) => m.LeadsList),
      },
      {
        path: 'leads/:id',
        title: 'Lead',
        loadComponent: () => import('./pages/leads/lead-detail').then((m) => m.LeadDetailPage),
      },
      {
        path: 'credits',
        title: 'Credits',
        loadComponent: () => import('./pages/credits/credits').then((m) => m.CreditsPage),
      },
      {
        path: 'lead-analytics',
        title: 'Lead analytics',
        loadComponent: () => import('./pages/lead-analytics/lead-analytics').then((m) => m.LeadAnalyticsPage),
      },
      {
        path: 'analytics',
        title: 'Analytics',
        loadComponent: () => import('./pages/analytics/analytics').then((m) => m.AnalyticsPage),
      },
      // Plumbers, Partners, Prices (ui-ops)
      {
        path: 'plumbers',
        title: 'Plumbers',
        loadComponent: () => import('./pages/plumbers/plumbers').then((m) => m.PlumbersPage),
      },
      {
        path: 'partners',
        title: 'Partners',
        loadComponent: () => import('./pages/partners/partners').then((m) => m.PartnersPage),
      },
      {
        path: 'partners/:id',
        title: 'Partner',
        loadComponent: () => import('./pages/partners/partner-detail').then((m) => m.PartnerDetailPage),
      },
      {
        path: 'prices',
        title: 'Prices',
        loadComponent: () => import('./pages/prices/prices').then((m) => m.PricesPage),
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
