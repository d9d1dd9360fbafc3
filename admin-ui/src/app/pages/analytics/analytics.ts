import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>AnalyticsPage</p>' })
export class AnalyticsPage {}
