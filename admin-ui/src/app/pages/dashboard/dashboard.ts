import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>DashboardPage</p>' })
export class DashboardPage {}
