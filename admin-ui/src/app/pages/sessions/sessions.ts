import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>SessionsPage</p>' })
export class SessionsPage {}
